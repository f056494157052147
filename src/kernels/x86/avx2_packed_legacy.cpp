// AVX2 GEMM over the packed (8-row interleaved) Q4_0 and Q8_0 layouts against Q8S
// activations. One 32-bit lane per weight row: a 4-byte activation group is broadcast to all
// lanes and multiplied with 4 weights of each of the 8 rows, so the 8 row sums end in one
// vector, are scaled by the 8 row scales at once and stored with no horizontal sums.
#include "kernels/packed.h"
#include "kernels/x86/avx2_packed.h"

namespace minnow::kernels::avx2 {
namespace {

using packed::kRows;
using packed::Q8S;

using packed_gemm::bcast4;
using packed_gemm::kPrefetchBlocks;
using packed_gemm::LegacyKernel;
using packed_gemm::load32;
using packed_gemm::row_scales;

// Q4_0: unsigned nibbles q with value q - 8; sum(q*x) - 8*sum(x) per row. Eight products of
// at most 2*15*127 fit int16, so a block's pair sums are added as int16; each int16 lane then
// takes its share of -8*sum(x) (Q8S::off8, one broadcast load; the result, 16 terms (q - 8)*x
// of at most 8*127, fits too) before the one widening.
struct PackedQ4_0 {
  using Block = packed::Q4_0x8;
  static constexpr int kSteps = 4;  // step m: elements 4m..4m+3 (low) and 16+4m.. (high)
  using Sum = __m256i;             // int16 pair sums
  static Sum zero() { return _mm256_setzero_si256(); }
  template <int N>
  static void step(const Block& b, int m, const Q8S* const* x, int64_t j, Sum* sums) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i v = load32(b.qs + 32 * m);
    const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    for (int n = 0; n < N; ++n) {
      const Q8S& a = x[n][j];
      sums[n] = _mm256_add_epi16(sums[n], _mm256_add_epi16(_mm256_maddubs_epi16(lo, bcast4(a.qs + 4 * m)),
                                                           _mm256_maddubs_epi16(hi, bcast4(a.qs + 16 + 4 * m))));
    }
  }
  static __m256i finish(Sum s, const Q8S& a) {
    return _mm256_madd_epi16(_mm256_add_epi16(s, bcast4(a.off8)), _mm256_set1_epi16(1));
  }
};

// Q8_0: signed x signed. maddubs needs one unsigned operand: |w| against x with w's sign.
// A pair sum reaches 2*128*127, so each product vector is widened before adding.
struct PackedQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr int kSteps = 8;  // step m: elements 4m..4m+3
  using Sum = __m256i;             // int32 sums
  static Sum zero() { return _mm256_setzero_si256(); }
  template <int N>
  static void step(const Block& b, int m, const Q8S* const* x, int64_t j, Sum* sums) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i w = load32(b.qs + 32 * m), w_abs = _mm256_abs_epi8(w);
    for (int n = 0; n < N; ++n) {
      const __m256i p = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(bcast4(x[n][j].qs + 4 * m), w));
      sums[n] = _mm256_add_epi32(sums[n], _mm256_madd_epi16(p, ones));
    }
  }
  static __m256i finish(Sum s, const Q8S&) { return s; }
};

// Q8_0 rows as llama.cpp's AVX2 Q8_0 dot rounds them (its one-row dot and its batched GEMM
// take the same steps): each block's products go to 8 float sums by quad (quad q: elements
// 4q..4q+3), each quad scaled and added with its own FMA, and the quads added at the end as
// that dot's horizontal sum does, ((0+4)+(2+6))+((1+5)+(3+7)). A quad of all 8 rows is one
// vector here, so the quad sums are 8 vertical accumulators: no horizontal adds. One
// activation row.
void q8_0_row(const GemmArgs& a, int64_t r, int64_t b) {
  using Block = packed::Q8_0x8;
  const auto* w = reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* x = reinterpret_cast<const Q8S*>(a.x + size_t(b) * a.x_row_bytes);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 quad[8];
  for (auto& q : quad) q = _mm256_setzero_ps();
  for (int64_t j = 0; j < a.k / layout::kQK; ++j) {
    const char* ahead = reinterpret_cast<const char*>(&w[j + kPrefetchBlocks<Block>]);
    packed_gemm::prefetch_weights(a, ahead, sizeof(Block));
    const __m256 d = _mm256_mul_ps(row_scales(w[j].d), _mm256_broadcast_ss(&x[j].d));
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      const __m256i wq = load32(w[j].qs + 32 * q);
      const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(wq), _mm256_sign_epi8(bcast4(x[j].qs + 4 * q), wq));
      quad[q] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones)), d, quad[q]);
    }
  }
  const __m256 even = _mm256_add_ps(_mm256_add_ps(quad[0], quad[4]), _mm256_add_ps(quad[2], quad[6]));
  const __m256 odd = _mm256_add_ps(_mm256_add_ps(quad[1], quad[5]), _mm256_add_ps(quad[3], quad[7]));
  _mm256_storeu_ps(a.y + b * a.y_stride + r, _mm256_add_ps(even, odd));
}

// The llama.cpp-rounding table's Q8_0, for every tile. The fast table keeps PackedQ8_0's int32
// sums per block: this costs prefill tiles ~70% more time (kernels_bench BM_Packed/q8_0/64
// against BM_PackedLlamaRounding/q8_0/64, best of 6) and 2-thread decode ~6% (minnow bench tg64,
// 5 runs each).
struct Q8_0LlamaKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) {
    for (int n = 0; n < N; ++n) q8_0_row(a, r, b + n);
  }
};

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<LegacyKernel<PackedQ4_0>>(a, r0, r1); }
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<LegacyKernel<PackedQ8_0>>(a, r0, r1); }
void gemm_q8_0_x8_llama(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q8_0LlamaKernel>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
