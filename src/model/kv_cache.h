#pragma once
// Per-sequence key/value cache in f16. Per layer, K is [n_ctx][n_head_kv * head_dim] (a row per
// position) and V is transposed, [n_head_kv * head_dim][n_ctx], so that both attention products
// are row-major GEMMs over contiguous rows. The memory is anonymous 4 KiB pages, zero until
// written and mapped on first touch: making a cache costs no pass over its n_ctx positions
// (at -c 4096 a zero-filled vector took ~60 ms of a 1.5B model's load), and a session's
// resident cache grows with the positions it uses.
#include <cstddef>
#include <cstdint>

#include "model/model.h"
#include "util/anon_buffer.h"

namespace minnow {

struct KVCache {
  int n_ctx = 0;
  int64_t row = 0;  // elements per position: n_head_kv * head_dim
  AnonBuffer data;  // per layer: K [n_ctx * row] f16, then V transposed [row * n_ctx]

  KVCache(const HParams& hp, int n_ctx_)
      : n_ctx(n_ctx_), row(int64_t(hp.n_head_kv) * hp.head_dim),
        data(bytes_for(hp, n_ctx_), AnonBuffer::Pages::Small) {}

  uint16_t* k(int layer) const { return base() + size_t(layer) * 2 * layer_elems(); }
  uint16_t* v(int layer) const { return k(layer) + layer_elems(); }

  static size_t bytes_for(const HParams& hp, int n_ctx) {
    return size_t(2) * size_t(hp.n_layer) * size_t(n_ctx) * size_t(hp.n_head_kv) *
           size_t(hp.head_dim) * sizeof(uint16_t);
  }

 private:
  size_t layer_elems() const { return size_t(n_ctx) * size_t(row); }
  uint16_t* base() const { return reinterpret_cast<uint16_t*>(data.data()); }
};

}  // namespace minnow
