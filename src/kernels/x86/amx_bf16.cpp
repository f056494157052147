// AMX-BF16 prefill GEMMs over the packed Q4_0, Q4_K and Q6_K layouts (PackedKernels::wide): the
// weights are unpacked to bf16 (q x d, rounded to nearest) a chunk at a time and multiplied
// against bf16 activation rows by tdpbf16ps, whose float sums stay in the tile registers over
// the whole chunk. The int8 tiles (amx_packed.cpp) must store and scale their sums after every
// 32-element block, since each block has its own two scales; here the scales are inside the
// bf16 values, so one tile multiply is 16 x 16 x 32 products and nothing else.
//
// Blocking: 32 activation rows x 32 weight rows (2 x 2 C tiles, tiles 0-3; A tiles 4-5;
// B tiles 6-7). B tile row p holds, for each of 16 weight rows, elements 2p and 2p + 1 of a
// block (tdpbf16ps's pairs). The activation rows are A tiles as they are, with their stride.
// A chunk of K is unpacked for a group of 8 such row blocks (1 MiB, in L2), and each pair of
// activation tiles then meets the 8 row blocks in turn, so its A tiles come from L1 after the
// first (kernels_bench BM_PackedWide/q4_0/256: 6.4-6.9 ms against 7.1-7.8 with one row block
// at a time; Q4_0 pp512 at 1 thread +14%).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/packed.h"
#include "kernels/packed_q4_k.h"
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx512.h"
#include "kernels/x86/avx512_packed.h"
#include "kernels/x86/avx512_packed_k.h"
#include "kernels/x86/amx_tiles.h"

namespace minnow::kernels::amx {
namespace {

constexpr int kTile = 16;            // activation rows per A tile, weight rows per B tile
constexpr int kRowBytes = 64;        // one tile row: 32 bf16 or 16 floats
constexpr int kBTileBytes = kTile * kRowBytes;  // one 32-element block of 16 weight rows
// Blocks of K unpacked at a time (2 x 64 KiB per row block), reused by every activation tile;
// the float sums wait in y between chunks (stored and reloaded exactly). Chunks of 16 or 32
// blocks, or groups of 4 row blocks, measured slower.
constexpr int64_t kChunkBlocks = 64;  // a multiple of every type's kTiles
constexpr int64_t kPrefetchBlocks = 8;
constexpr int kGroupBlocks = 8;  // row blocks of 32 rows sharing each activation chunk

// m activation rows (<= 16) in the C and A tiles; n weight rows (8 or 16) in C and B.
TileConfig tile_config(int m, int n) {
  TileConfig c;
  for (int t = 0; t < 4; ++t) {
    c.rows[t] = uint8_t(m);
    c.colsb[t] = uint16_t(n * sizeof(float));
  }
  for (int t = 4; t < 6; ++t) {
    c.rows[t] = uint8_t(m);
    c.colsb[t] = kRowBytes;
  }
  for (int t = 6; t < 8; ++t) {
    c.rows[t] = kTile;
    c.colsb[t] = uint16_t(n * 2 * sizeof(uint16_t));
  }
  return c;
}

// Lane i of a 16-row vector at lanes 2i and 2i + 1: rows 0-7 (hi: rows 8-15) each twice, so
// that one float vector holds two elements of each of 8 rows, a B tile row's half.
// (Functions, not constants: a namespace-scope vector would run AVX-512 code at start-up.)
__m512i rows_lo() { return _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0); }
__m512i rows_hi() { return _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8); }

// Shift counts: s_even in even lanes, s_odd in odd ones.
__m512i shifts(int s_even, int s_odd) { return _mm512_set_epi32(
    s_odd, s_even, s_odd, s_even, s_odd, s_even, s_odd, s_even, s_odd, s_even, s_odd, s_even, s_odd, s_even, s_odd, s_even); }

// Stores one B tile row from the two float halves (rows 0-7, rows 8-15), rounded to bf16.
void store_b_row(uint8_t* out, __m512 lo, __m512 hi) {
  _mm512_store_si512(out, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// Four lanes of 4-bit values (Q4_0's and Q4_K's sub-block layout): lane m of a pair of groups
// holds, per row (one 32-bit lane), the bytes 4m..4m+3: low nibbles elements 4m + i, high
// nibbles 16 + 4m + i. A nibble u becomes 2^23 + u as float bits, and value(u - 2^23) is the
// weight (an exact subtraction, then the type's float steps).
template <class Value>
void unpack_nibble_lanes(const uint8_t* lanes0, const uint8_t* lanes1, uint8_t* out, Value value) {
  const __m512i low4 = _mm512_set1_epi32(0xF), magic = _mm512_set1_epi32(0x4B000000);
  const auto values = [&](__m512i v, __m512i s, bool hi) {
    // (v >> s) & 0xF | magic, in one ternary-logic step.
    const __m512i u = _mm512_ternarylogic_epi32(_mm512_srlv_epi32(v, s), low4, magic, 0xEA);
    return value(_mm512_castsi512_ps(u), hi);
  };
  // Pairs of elements per B row: (4m, 4m+1), (4m+2, 4m+3), (16+4m, ..+1), (16+4m+2, ..+3).
  const __m512i s01 = shifts(0, 8), s23 = shifts(16, 24), s01h = shifts(4, 12), s23h = shifts(20, 28);
  for (int m = 0; m < 4; ++m) {
    const __m512i v = avx512::pairs::load_pair(lanes0 + 32 * m, lanes1 + 32 * m);
    const __m512i lo = _mm512_permutexvar_epi32(rows_lo(), v), hi = _mm512_permutexvar_epi32(rows_hi(), v);
    store_b_row(out + kRowBytes * (2 * m), values(lo, s01, false), values(hi, s01, true));
    store_b_row(out + kRowBytes * (2 * m + 1), values(lo, s23, false), values(hi, s23, true));
    store_b_row(out + kRowBytes * (8 + 2 * m), values(lo, s01h, false), values(hi, s01h, true));
    store_b_row(out + kRowBytes * (9 + 2 * m), values(lo, s23h, false), values(hi, s23h, true));
  }
}

// A 16-row vector's lanes as two B-row halves (rows 0-7, rows 8-15, each row twice).
struct Halves {
  __m512 lo, hi;
  explicit Halves(__m512 v) : lo(_mm512_permutexvar_ps(rows_lo(), v)), hi(_mm512_permutexvar_ps(rows_hi(), v)) {}
  __m512 operator()(bool high) const { return high ? hi : lo; }
};

// Q4_0: (u - 8) x d.
struct Bf16Q4_0 {
  using Block = packed::Q4_0x8;
  static constexpr int kTiles = 1;  // B tiles (32-element blocks) per block
  static void unpack(const Block& b0, const Block& b1, uint8_t* out) {
    const Halves d(avx512::pairs::row_scales(b0.d, b1.d));
    const __m512 bias = _mm512_set1_ps(8388608.0f + 8.0f);
    unpack_nibble_lanes(b0.qs, b1.qs, out, [&](__m512 f, bool hi) { return _mm512_mul_ps(_mm512_sub_ps(f, bias), d(hi)); });
  }
};

// Q4_K: sub-block s of a super-block is laid out as a Q4_0 block (lanes q[s][0..3]); the
// weight is scale x u - min, scale = d x its 6-bit scale, min = dmin x its 6-bit min, as
// dequantize_row takes them.
struct Bf16Q4_K {
  using Block = packed::Q4_Kx8;
  static constexpr int kTiles = packed::kQ4Subs;
  static void unpack(const Block& b0, const Block& b1, uint8_t* out) {
    avx512::pairs::ScaleBytes sc[2], mn[2];
    avx512::pairs::decode_scales(b0.scales, sc[0]);
    avx512::pairs::decode_scales(b1.scales, sc[1]);
    avx512::pairs::decode_scales(b0.mins, mn[0]);  // the same 6-bit decoding, mins' order
    avx512::pairs::decode_scales(b1.mins, mn[1]);
    const __m512 d = avx512::pairs::row_scales(b0.d, b1.d), dmin = avx512::pairs::row_scales(b0.dmin, b1.dmin);
    const __m512 magic = _mm512_set1_ps(8388608.0f);
    alignas(16) uint8_t sub_mins[16];
    for (int s = 0; s < packed::kQ4Subs; ++s) {
      for (int r = 0; r < 16; ++r) sub_mins[r] = mn[r / 8].v[packed::q4_k_x8_min_index(s, r % 8)];
      const __m512i sub_scales = avx512::pairs::pair_scales(sc[0], sc[1], s);
      const Halves scale(_mm512_mul_ps(d, _mm512_cvtepi32_ps(sub_scales)));
      const Halves min(_mm512_mul_ps(dmin, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128(
                                                reinterpret_cast<const __m128i*>(sub_mins))))));
      unpack_nibble_lanes(b0.q[s][0], b1.q[s][0], out + s * kBTileBytes, [&](__m512 f, bool hi) {
        return _mm512_sub_ps(_mm512_mul_ps(_mm512_sub_ps(f, magic), scale(hi)), min(hi));
      });
    }
  }
};

// Q6_K: group g (16 elements) holds byte planes q[g][0..2]: plane v's 6 low bits are elements
// 4v + i, and their top two bits together chunk 3's (elements 12 + i). Two groups make one
// 32-element B tile; the weight is (d x the group's scale) x (q - 32).
struct Bf16Q6_K {
  using Block = packed::Q6_Kx8;
  static constexpr int kTiles = packed::kQ6Groups / 2;
  static void unpack(const Block& b0, const Block& b1, uint8_t* out) {
    const __m512 d = avx512::pairs::row_scales(b0.d, b1.d);
    const __m512i low6 = _mm512_set1_epi32(0x3F), magic = _mm512_set1_epi32(0x4B000000);
    const __m512 bias = _mm512_set1_ps(8388608.0f + 32.0f);
    const __m512i s01 = shifts(0, 8), s23 = shifts(16, 24);
    alignas(16) int8_t group_scales[16];
    for (int g = 0; g < packed::kQ6Groups; ++g) {
      for (int r = 0; r < 16; ++r)
        group_scales[r] = (r < 8 ? b0 : b1).scales[g / 2][packed::q6_k_x8_scale_byte(r % 8, g % 2)];
      const __m512i sc = _mm512_cvtepi8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(group_scales)));
      const Halves scale(_mm512_mul_ps(d, _mm512_cvtepi32_ps(sc)));
      __m512i planes[4];
      for (int v = 0; v < 3; ++v) planes[v] = avx512::pairs::load_pair(b0.q[g][v], b1.q[g][v]);
      const __m512i top2 = _mm512_set1_epi8(0x30);
      planes[3] = _mm512_or_si512(
          _mm512_and_si512(_mm512_srli_epi16(planes[0], 2), top2),
          _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(planes[1], 4), _mm512_set1_epi8(0x0C)),
                          _mm512_and_si512(_mm512_srli_epi16(planes[2], 6), _mm512_set1_epi8(0x03))));
      uint8_t* tile = out + (g / 2) * kBTileBytes;
      const auto values = [&](__m512i v, __m512i s, bool hi) {
        const __m512i u = _mm512_ternarylogic_epi32(_mm512_srlv_epi32(v, s), low6, magic, 0xEA);
        return _mm512_mul_ps(_mm512_sub_ps(_mm512_castsi512_ps(u), bias), scale(hi));
      };
      for (int c = 0; c < 4; ++c) {
        const __m512i lo = _mm512_permutexvar_epi32(rows_lo(), planes[c]);
        const __m512i hi = _mm512_permutexvar_epi32(rows_hi(), planes[c]);
        // Elements 16 (g % 2) + 4c + (0, 1) and (2, 3) of the tile's 32.
        const int p = 8 * (g % 2) + 2 * c;
        store_b_row(tile + kRowBytes * p, values(lo, s01, false), values(hi, s01, true));
        store_b_row(tile + kRowBytes * (p + 1), values(lo, s23, false), values(hi, s23, true));
      }
    }
  }
};

// C += A x B over `blocks` blocks for MT activation tiles (rows x, x + 16 rows) and NT weight
// tiles (B tiles at bt and bt + b_stride). C is y (row stride y_stride floats), loaded unless
// fresh.
template <int MT, int NT>
void multiply(const uint8_t* x, size_t x_stride, const uint8_t* bt, size_t b_stride, int64_t blocks, float* y,
              int64_t y_stride, bool fresh) {
  const size_t ys = size_t(y_stride) * sizeof(float);
  float* y1 = y + kTile * y_stride;
  if (fresh) {
    _tile_zero(0);
    if constexpr (NT > 1) _tile_zero(1);
    if constexpr (MT > 1) _tile_zero(2);
    if constexpr (MT > 1 && NT > 1) _tile_zero(3);
  } else {
    _tile_loadd(0, y, ys);
    if constexpr (NT > 1) _tile_loadd(1, y + kTile, ys);
    if constexpr (MT > 1) _tile_loadd(2, y1, ys);
    if constexpr (MT > 1 && NT > 1) _tile_loadd(3, y1 + kTile, ys);
  }
  const uint8_t* x1 = x + kTile * x_stride;
  for (int64_t j = 0; j < blocks; ++j) {
    _tile_loadd(6, bt + j * kBTileBytes, kRowBytes);
    if constexpr (NT > 1) _tile_loadd(7, bt + b_stride + j * kBTileBytes, kRowBytes);
    _tile_loadd(4, x + j * kRowBytes, x_stride);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NT > 1) _tile_dpbf16ps(1, 4, 7);
    if constexpr (MT > 1) {
      _tile_loadd(5, x1 + j * kRowBytes, x_stride);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (NT > 1) _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, y, ys);
  if constexpr (NT > 1) _tile_stored(1, y + kTile, ys);
  if constexpr (MT > 1) _tile_stored(2, y1, ys);
  if constexpr (MT > 1 && NT > 1) _tile_stored(3, y1 + kTile, ys);
}

// The tile configuration in force, reloaded only when a call needs another shape.
class Tiles {
 public:
  void use(int m, int n) {
    if (m == m_ && n == n_) return;
    scope_.load(tile_config(m, n));
    m_ = m;
    n_ = n;
  }

 private:
  TileScope scope_;
  int m_ = 0, n_ = 0;
};

// Every cache line of one block, ahead of its use (a hint: past the end of the rows it faults
// nothing).
template <class Block>
void prefetch(const Block* b) {
  const char* p = reinterpret_cast<const char*>(b);
  for (size_t i = 0; i < sizeof(Block); i += 64) _mm_prefetch(p + i, _MM_HINT_T0);
}

// A row block: 32, 16 or 8 weight rows (a last single group, unpacked beside itself and half
// used) as n_tiles B tiles of n rows.
struct RowBlock {
  int64_t r = 0, rows = 0;
  int n_tiles = 0, n = 0;
};

RowBlock row_block(int64_t r, int64_t r1) {
  RowBlock b;
  b.r = r;
  b.rows = r1 - r >= 2 * kTile ? 2 * kTile : r1 - r >= kTile ? kTile : packed::kRows;
  b.n_tiles = b.rows > kTile ? 2 : 1;
  b.n = b.rows >= kTile ? kTile : packed::kRows;
  return b;
}

// Loop order: groups of kGroupBlocks row blocks; per group, chunks of K; per chunk, every row
// block's B tiles are unpacked (L2), then each pair of activation tiles (32 rows x the chunk,
// L1) meets every row block of the group in turn.
template <class P>
void gemm(const GemmArgs& a, int64_t r0, int64_t r1) {
  using Block = typename P::Block;
  const int64_t blocks = a.k / layout::kQK;  // 32-element blocks: B tiles of 16 rows
  constexpr size_t kBStride = kChunkBlocks * kBTileBytes;
  // 1 MiB: on the heap, not the stack; left uninitialized (every tile read is written first).
  const auto storage = std::make_unique_for_overwrite<uint8_t[]>(kGroupBlocks * 2 * kBStride + 64);
  uint8_t* bt = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(storage.get()) + 63) / 64 * 64);
  const auto group = [&](int64_t r) { return reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes); };
  Tiles tiles;
  for (int64_t g0 = r0; g0 < r1;) {
    RowBlock rb[kGroupBlocks];
    int nrb = 0;
    for (int64_t r = g0; r < r1 && nrb < kGroupBlocks; r += rb[nrb++].rows) rb[nrb] = row_block(r, r1);
    for (int64_t j0 = 0; j0 < blocks; j0 += kChunkBlocks) {
      const int64_t nj = blocks - j0 < kChunkBlocks ? blocks - j0 : kChunkBlocks;
      for (int i = 0; i < nrb; ++i)
        for (int t = 0; t < rb[i].n_tiles; ++t) {
          const Block* w0 = group(rb[i].r + t * kTile) + j0 / P::kTiles;
          const Block* w1 = rb[i].n == kTile ? group(rb[i].r + t * kTile + packed::kRows) + j0 / P::kTiles : w0;
          uint8_t* out = bt + (2 * i + t) * kBStride;
          for (int64_t j = 0; j < nj / P::kTiles; ++j) {
            if (a.prefetch) {
              prefetch(w0 + j + kPrefetchBlocks / P::kTiles);
              prefetch(w1 + j + kPrefetchBlocks / P::kTiles);
            }
            P::unpack(w0[j], w1[j], out + j * P::kTiles * kBTileBytes);
          }
        }
      // The tile loads read bt through asm that does not tell the compiler so.
      asm volatile("" ::: "memory");
      const uint8_t* x = a.x + size_t(j0) * kRowBytes;
      for (int64_t b = 0; b < a.nb; b += 2 * kTile) {
        const int64_t m_rows = a.nb - b < 2 * kTile ? a.nb - b : 2 * kTile;
        const uint8_t* xb = x + size_t(b) * a.x_row_bytes;
        for (int i = 0; i < nrb; ++i) {
          const uint8_t* bi = bt + 2 * i * kBStride;
          float* y = a.y + b * a.y_stride + rb[i].r;
          if (m_rows == 2 * kTile) {
            tiles.use(kTile, rb[i].n);
            if (rb[i].n_tiles == 2) multiply<2, 2>(xb, a.x_row_bytes, bi, kBStride, nj, y, a.y_stride, j0 == 0);
            else multiply<2, 1>(xb, a.x_row_bytes, bi, kBStride, nj, y, a.y_stride, j0 == 0);
            continue;
          }
          // 1-31 rows left: a full tile of 16, then the rest in a tile of fewer rows.
          for (int64_t k = 0; k < m_rows; k += kTile) {
            const int64_t m = m_rows - k < kTile ? m_rows - k : kTile;
            tiles.use(int(m), rb[i].n);
            const uint8_t* xk = xb + size_t(k) * a.x_row_bytes;
            float* yk = y + k * a.y_stride;
            if (rb[i].n_tiles == 2) multiply<1, 2>(xk, a.x_row_bytes, bi, kBStride, nj, yk, a.y_stride, j0 == 0);
            else multiply<1, 1>(xk, a.x_row_bytes, bi, kBStride, nj, yk, a.y_stride, j0 == 0);
          }
        }
      }
    }
    g0 = rb[nrb - 1].r + rb[nrb - 1].rows;
  }
}

}  // namespace

void quantize_bf16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 32 <= k; i += 32)
    _mm512_storeu_si512(y + i, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i)));
  if (i < k) packed::quantize_bf16_ref(x + i, y + i, k - i);
}

void gemm_bf16_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<Bf16Q4_0>(a, r0, r1); }
void gemm_bf16_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<Bf16Q4_K>(a, r0, r1); }
void gemm_bf16_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<Bf16Q6_K>(a, r0, r1); }

}  // namespace minnow::kernels::amx
