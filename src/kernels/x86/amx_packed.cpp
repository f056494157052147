// AMX-INT8 (Intel Sapphire Rapids and later) prefill GEMM over the packed Q8_0 layout: one
// tile multiply (tdpbssd) takes the products of 16 activation rows against 16 weight rows over
// one 32-element block, 8192 multiply-adds, where VNNI needs 128 vpdpbusd. (Q4_0 took these
// tiles too until its bf16 wide GEMM, amx_bf16.cpp, replaced them.)
//
// The packed layout is already AMX's B operand: a 32-byte lane of a packed group holds 4
// consecutive elements of each of its 8 rows, so the same lane of two groups is one 64-byte B
// row (4 elements x 16 weight rows), and a block's 8 lanes are one 8 x 64 B tile. A is the
// activation rows' Q8S values, loaded in place with their row stride. Every block's int32 sums
// are stored and finished as the AVX2 tiles finish them (times d_w * d_x, added in float in block order), so
// the results are the AVX2 table's bits. Batches below one tile of 16 activation rows, the rows
// left after the last full tile and a last single group go to the VNNI kernels.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/packed.h"
#include "kernels/x86/avx512.h"
#include "kernels/x86/avx512_packed.h"
#include "kernels/x86/amx_tiles.h"

namespace minnow::kernels::amx {
namespace {

using packed::Q8S;

constexpr int64_t kTileRows = 16;  // activation rows per tile, and weight rows (two groups)
constexpr int kBlockLanes = 8;     // 32 elements in 4-byte lanes: the B tile's rows
constexpr int kBRowBytes = 64;
constexpr int kBTileBytes = kBlockLanes * kBRowBytes;
// Blocks unpacked at a time for one pair of groups (4 KiB), reused by every activation tile;
// the float sums wait in y between chunks (stored and reloaded exactly).
constexpr int64_t kChunkBlocks = 8;

// The tiles (palette 1): tile 0 the int32 sums C (16 x 16), tile 1 the activations A (16 rows
// x 32 bytes), tile 2 the weights B (8 rows x 64 bytes).
TileConfig tile_config() {
  TileConfig c;
  c.colsb[0] = kTileRows * sizeof(int32_t);
  c.rows[0] = kTileRows;
  c.colsb[1] = layout::kQK;
  c.rows[1] = kTileRows;
  c.colsb[2] = kBRowBytes;
  c.rows[2] = kBlockLanes;
  return c;
}

// Q8_0: the weights as they are, lane m = elements 4m..4m+3.
struct AmxQ8_0 {
  using Block = packed::Q8_0x8;
  static void unpack(const Block& b0, const Block& b1, uint8_t* out) {
    for (int m = 0; m < kBlockLanes; ++m)
      _mm512_store_si512(out + kBRowBytes * m, avx512::pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m));
  }
};

// Blocks [j0, j0 + n) of the pair of groups at rows r..r+15 against activation rows
// [b, b + 16): acc += each block's sums times d_w * d_x, acc read from and left in y (fresh
// when j0 is 0). bt: the chunk's B tiles; dw: its 16 row scales per block. (Two sets of tiles
// taking alternate blocks, the next multiply running while this block's sums are finished,
// measured within 3% on Q4_0: kernels_bench BM_Packed/q4_0/64.)
void tile_chunk(const GemmArgs& a, int64_t r, int64_t b, int64_t j0, int64_t n, const uint8_t* bt, const float* dw) {
  alignas(64) int32_t c[kTileRows * kTileRows];
  __m512 acc[kTileRows];
  float* y = a.y + b * a.y_stride + r;
  for (int t = 0; t < kTileRows; ++t) acc[t] = j0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(y + t * a.y_stride);
  const uint8_t* x0 = a.x + size_t(b) * a.x_row_bytes;
  const auto a_tile = [&](int64_t i) { return x0 + size_t(j0 + i) * sizeof(Q8S) + offsetof(Q8S, qs); };
  const auto finish = [&](int64_t i) {
    const __m512 d_w = _mm512_load_ps(dw + i * kTileRows);
    for (int t = 0; t < kTileRows; ++t) {
      const Q8S& xb = reinterpret_cast<const Q8S*>(x0 + size_t(t) * a.x_row_bytes)[j0 + i];
      const __m512 d = _mm512_mul_ps(d_w, _mm512_set1_ps(xb.d));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c + t * kTileRows)), d, acc[t]);
    }
  };
  for (int64_t i = 0; i < n; ++i) {
    _tile_zero(0);
    _tile_loadd(1, a_tile(i), a.x_row_bytes);
    _tile_loadd(2, bt + i * kBTileBytes, kBRowBytes);
    _tile_dpbssd(0, 1, 2);
    _tile_stored(0, c, kTileRows * sizeof(int32_t));
    finish(i);
  }
  for (int t = 0; t < kTileRows; ++t) _mm512_storeu_ps(y + t * a.y_stride, acc[t]);
}

// The arguments for activation rows [b, nb) only.
GemmArgs rows_from(const GemmArgs& a, int64_t b) {
  GemmArgs rest = a;
  rest.x = a.x + size_t(b) * a.x_row_bytes;
  rest.nb = a.nb - b;
  rest.y = a.y + b * a.y_stride;
  return rest;
}

// Weight rows [r0, r1) (pairs of groups) against activation rows [0, nb) (whole tiles).
template <class P>
void tile_rows(const GemmArgs& a, int64_t r0, int64_t r1, int64_t nb) {
  using Block = typename P::Block;
  const int64_t blocks = a.k / layout::kQK;
  TileScope tiles;
  tiles.load(tile_config());
  alignas(64) uint8_t bt[kChunkBlocks * kBTileBytes];
  alignas(64) float dw[kChunkBlocks * kTileRows];
  for (int64_t r = r0; r < r1; r += kTileRows) {
    const auto* w0 = reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes);
    const auto* w1 = reinterpret_cast<const Block*>(a.w + size_t(r + packed::kRows) * a.w_row_bytes);
    for (int64_t j0 = 0; j0 < blocks; j0 += kChunkBlocks) {
      const int64_t n = blocks - j0 < kChunkBlocks ? blocks - j0 : kChunkBlocks;
      for (int64_t i = 0; i < n; ++i) {
        P::unpack(w0[j0 + i], w1[j0 + i], bt + i * kBTileBytes);
        _mm512_store_ps(dw + i * kTileRows, avx512::pairs::row_scales(w0[j0 + i].d, w1[j0 + i].d));
      }
      // The tile loads read bt through asm that does not tell the compiler so.
      asm volatile("" ::: "memory");
      for (int64_t b = 0; b < nb; b += kTileRows) tile_chunk(a, r, b, j0, n, bt, dw);
    }
  }
}

template <class P>
void gemm(const GemmArgs& a, int64_t r0, int64_t r1, GemmFn vnni) {
  const int64_t full = a.nb / kTileRows * kTileRows;
  const int64_t r_pairs = r0 + (r1 - r0) / kTileRows * kTileRows;
  if (full == 0 || r_pairs == r0) return vnni(a, r0, r1);
  tile_rows<P>(a, r0, r_pairs, full);
  if (full < a.nb) vnni(rows_from(a, full), r0, r_pairs);
  if (r_pairs < r1) vnni(a, r_pairs, r1);
}

}  // namespace

void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<AmxQ8_0>(a, r0, r1, vnni::gemm_q8_0_x8); }

}  // namespace minnow::kernels::amx
