// AMX-BF16 GEMM for the attention over the f16 KV cache (KernelTable::gemm_f16_exact): f16
// rows (K, or V transposed) against f32 activation rows that hold f16 values (q, and the
// softmax weights, both rounded to f16 by ops::attend_rows). Every f16 value is the exact sum
// of two bf16 values (hi: its top 8 significant bits; lo: the 3 below), and a product of two
// bf16 values is exact in float, so four tdpbf16ps per tile pair (hi x hi, hi x lo, lo x hi,
// lo x lo) add each f16 x f16 product into the float sums exactly, in parts. Only the order of
// the float additions differs from the AVX2 GEMM's.
//
// Roles: the weight rows are the A tiles (16 rows of 32 elements each, as they lie in the
// cache, converted a step at a time), the activation rows the B tiles (converted and
// transposed into pairs once per call, reused by every weight row), so the C tiles hold
// y transposed: 16 weight rows x 16 activation rows, transposed again on the way out.
// Tiles: 0-1 C (weight rows 0-15 and 16-31 of a block of 32), 2-3 A hi/lo of the first 16
// rows, 6-7 of the second, 4-5 B hi/lo.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/x86/amx_tiles.h"
#include "kernels/x86/avx512.h"

namespace minnow::kernels::amx {
namespace {

constexpr int kTile = 16;                       // rows of every tile; activation rows per B tile
constexpr int kRowBytes = 64;                   // one tile row: 32 bf16 or 16 floats
constexpr int kTileBytes = kTile * kRowBytes;
constexpr int64_t kStep = 32;                   // K elements per tile multiply

TileConfig full_tiles() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.rows[t] = kTile;
    c.colsb[t] = kRowBytes;
  }
  return c;
}

// Lanes of a float vector whose elements [i0, i0 + 16) are below k.
__mmask16 lanes_below(int64_t k, int64_t i0) {
  const int64_t n = std::clamp<int64_t>(k - i0, 0, 16);
  return __mmask16((uint32_t(1) << n) - 1);
}

// 32 floats as the bf16 pairs of one tile row: hi = the top 16 bits of each (truncated, so
// exact in bf16) and lo = the exact remainder, rounded to bf16 (exact for f16 values).
struct Bf16Row {
  __m512i hi, lo;
};
Bf16Row split(__m512 x0, __m512 x1) {
  const __m512i top = _mm512_set1_epi32(int(0xFFFF0000u));
  const __m512 h0 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x0), top));
  const __m512 h1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x1), top));
  return {(__m512i)_mm512_cvtne2ps_pbh(h1, h0),
          (__m512i)_mm512_cvtne2ps_pbh(_mm512_sub_ps(x1, h1), _mm512_sub_ps(x0, h0))};
}

// r[i] lane j <- r[j] lane i: a 16 x 16 transpose of 32-bit lanes.
void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int p = 0; p < 8; ++p) {
    t[2 * p] = _mm512_unpacklo_epi32(r[2 * p], r[2 * p + 1]);
    t[2 * p + 1] = _mm512_unpackhi_epi32(r[2 * p], r[2 * p + 1]);
  }
  // w[g][e]: in each 128-bit lane L, element 4L + e of rows 4g..4g+3.
  __m512i w[4][4];
  for (int g = 0; g < 4; ++g) {
    w[g][0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    w[g][1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    w[g][2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    w[g][3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  for (int e = 0; e < 4; ++e) {
    const __m512i x0 = _mm512_shuffle_i32x4(w[0][e], w[1][e], 0x44), x1 = _mm512_shuffle_i32x4(w[0][e], w[1][e], 0xEE);
    const __m512i x2 = _mm512_shuffle_i32x4(w[2][e], w[3][e], 0x44), x3 = _mm512_shuffle_i32x4(w[2][e], w[3][e], 0xEE);
    r[e] = _mm512_shuffle_i32x4(x0, x2, 0x88);
    r[4 + e] = _mm512_shuffle_i32x4(x0, x2, 0xDD);
    r[8 + e] = _mm512_shuffle_i32x4(x1, x3, 0x88);
    r[12 + e] = _mm512_shuffle_i32x4(x1, x3, 0xDD);
  }
}

// B tiles of activation rows x[0, nb) (nb <= 16; the other columns zero), step s at
// b + 2 * kTileBytes * s (hi, then lo): row p holds elements 32s + 2p, 32s + 2p + 1 of each row.
void pack_activations(const float* x, size_t x_stride, int nb, int64_t k, int64_t steps, uint8_t* b) {
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t i0 = s * kStep;
    const __mmask16 m0 = lanes_below(k, i0), m1 = lanes_below(k, i0 + 16);
    __m512i hi[kTile], lo[kTile];
    for (int n = 0; n < kTile; ++n) {
      if (n < nb) {
        const float* row = x + size_t(n) * x_stride + i0;
        const Bf16Row v = split(_mm512_maskz_loadu_ps(m0, row), _mm512_maskz_loadu_ps(m1, row + 16));
        hi[n] = v.hi;
        lo[n] = v.lo;
      } else {
        hi[n] = lo[n] = _mm512_setzero_si512();
      }
    }
    transpose16(hi);
    transpose16(lo);
    uint8_t* out = b + 2 * kTileBytes * s;
    for (int p = 0; p < kTile; ++p) {
      _mm512_storeu_si512(out + kRowBytes * p, hi[p]);
      _mm512_storeu_si512(out + kTileBytes + kRowBytes * p, lo[p]);
    }
  }
}

// A tiles (hi at a, lo at a + kTileBytes) of step s for `rows` f16 rows from w (the other
// rows zero).
void pack_weights(const uint8_t* w, size_t w_row_bytes, int rows, int64_t k, int64_t s, uint8_t* a) {
  const int64_t i0 = s * kStep;
  const __mmask32 m = _cvtu32_mask32(uint32_t((uint64_t(1) << std::clamp<int64_t>(k - i0, 0, 32)) - 1));
  for (int r = 0; r < kTile; ++r) {
    Bf16Row v{_mm512_setzero_si512(), _mm512_setzero_si512()};
    if (r < rows) {
      const __m512i h = _mm512_maskz_loadu_epi16(m, w + size_t(r) * w_row_bytes + size_t(i0) * sizeof(uint16_t));
      v = split(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)));
    }
    _mm512_storeu_si512(a + kRowBytes * r, v.hi);
    _mm512_storeu_si512(a + kTileBytes + kRowBytes * r, v.lo);
  }
}

// y[n][r] = c[r][n] for weight rows r < rows and activation rows n < nb.
void store_transposed(const float* c, int rows, int nb, float* y, int64_t y_stride) {
  __m512i v[kTile];
  for (int r = 0; r < kTile; ++r) v[r] = _mm512_loadu_si512(c + kTile * r);
  transpose16(v);
  const __mmask16 m = __mmask16((uint32_t(1) << rows) - 1);
  for (int n = 0; n < nb; ++n) _mm512_mask_storeu_ps(y + n * y_stride, m, _mm512_castsi512_ps(v[n]));
}

}  // namespace

void gemm_f16_exact(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (r0 >= r1 || a.nb <= 0 || a.k <= 0) return;
  const int64_t steps = (a.k + kStep - 1) / kStep;
  const size_t x_stride = a.x_row_bytes / sizeof(float);
  const auto b = std::make_unique_for_overwrite<uint8_t[]>(size_t(steps) * 2 * kTileBytes);
  alignas(64) uint8_t w_tiles[2][2 * kTileBytes];
  alignas(64) float c[2][kTile * kTile];
  TileScope scope;
  scope.load(full_tiles());
  for (int64_t n0 = 0; n0 < a.nb; n0 += kTile) {
    const int nb = int(std::min<int64_t>(kTile, a.nb - n0));
    pack_activations(reinterpret_cast<const float*>(a.x) + size_t(n0) * x_stride, x_stride, nb, a.k, steps, b.get());
    for (int64_t r = r0; r < r1; r += 2 * kTile) {
      const int rows0 = int(std::min<int64_t>(kTile, r1 - r));
      const int rows1 = int(std::clamp<int64_t>(r1 - r - kTile, 0, kTile));
      const uint8_t* w0 = a.w + size_t(r) * a.w_row_bytes;
      const uint8_t* w1 = w0 + size_t(kTile) * a.w_row_bytes;
      _tile_zero(0);
      _tile_zero(1);
      for (int64_t s = 0; s < steps; ++s) {
        const uint8_t* bs = b.get() + 2 * kTileBytes * s;
        _tile_loadd(4, bs, kRowBytes);
        _tile_loadd(5, bs + kTileBytes, kRowBytes);
        // Written out twice: tile numbers are assembler operands, not template arguments.
        pack_weights(w0, a.w_row_bytes, rows0, a.k, s, w_tiles[0]);
        _tile_loadd(2, w_tiles[0], kRowBytes);
        _tile_loadd(3, w_tiles[0] + kTileBytes, kRowBytes);
        _tile_dpbf16ps(0, 2, 4);
        _tile_dpbf16ps(0, 2, 5);
        _tile_dpbf16ps(0, 3, 4);
        _tile_dpbf16ps(0, 3, 5);
        if (rows1 > 0) {
          pack_weights(w1, a.w_row_bytes, rows1, a.k, s, w_tiles[1]);
          _tile_loadd(6, w_tiles[1], kRowBytes);
          _tile_loadd(7, w_tiles[1] + kTileBytes, kRowBytes);
          _tile_dpbf16ps(1, 6, 4);
          _tile_dpbf16ps(1, 6, 5);
          _tile_dpbf16ps(1, 7, 4);
          _tile_dpbf16ps(1, 7, 5);
        }
      }
      float* y = a.y + n0 * a.y_stride + r;
      _tile_stored(0, c[0], kRowBytes);
      store_transposed(c[0], rows0, nb, y, a.y_stride);
      if (rows1 > 0) {
        _tile_stored(1, c[1], kRowBytes);
        store_transposed(c[1], rows1, nb, y + kTile, a.y_stride);
      }
    }
  }
}

}  // namespace minnow::kernels::amx
