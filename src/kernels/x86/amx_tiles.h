#pragma once
// The AMX tile configuration shared by the AMX kernels (files built with -mamx-tile), and a
// scope that leaves the thread's tiles as it found them. Another library in the process may
// keep its own configuration loaded across calls on the same thread (llama.cpp's AMX build
// configures each thread once): releasing or replacing it would make its next tile instruction
// fault or use our shapes, so the previous configuration is stored first and loaded again after.
#include <immintrin.h>

#include <cstdint>

namespace minnow::kernels::amx {
namespace {

// Palette 1: rows and bytes per row of each of the 8 tile registers.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

class TileScope {
 public:
  TileScope() { _tile_storeconfig(&saved_); }
  TileScope(const TileScope&) = delete;
  TileScope& operator=(const TileScope&) = delete;
  ~TileScope() {
    if (saved_.palette != 0) _tile_loadconfig(&saved_);
    else _tile_release();
  }
  void load(const TileConfig& c) { _tile_loadconfig(&c); }

 private:
  TileConfig saved_{};  // palette 0: no configuration was loaded
};

}  // namespace
}  // namespace minnow::kernels::amx
