// AVX-512 VNNI GEMM over the packed (8-row interleaved) Q4_0 and Q8_0 layouts against Q8S
// activations: the AVX2 kernels' tiles (avx2_packed.h) with each step's products summed by
// vpdpbusd straight into int32 row lanes, on two groups at once (vnni_packed.h) where there
// are two.
#include "kernels/packed.h"
#include "kernels/x86/avx2_packed.h"
#include "kernels/x86/vnni_packed.h"
#include "kernels/x86/vnni.h"

namespace minnow::kernels::vnni {
namespace {

using packed::Q8S;
using avx2::packed_gemm::bcast4;
using avx2::packed_gemm::load32;

// Q4_0: unsigned nibbles q with value q - 8; sum(q*x) - 8*sum(x) per row.
struct VnniQ4_0 {
  using Block = packed::Q4_0x8;
  static constexpr int kSteps = 4;  // step m: elements 4m..4m+3 (low) and 16+4m.. (high)
  using Sum = __m256i;             // int32 sums
  static Sum zero() { return _mm256_setzero_si256(); }
  template <int N>
  static void step(const Block& b, int m, const Q8S* const* x, int64_t j, Sum* sums) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i v = load32(b.qs + 32 * m);
    const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    for (int n = 0; n < N; ++n) {
      const Q8S& a = x[n][j];
      sums[n] = _mm256_dpbusd_epi32(sums[n], lo, bcast4(a.qs + 4 * m));
      sums[n] = _mm256_dpbusd_epi32(sums[n], hi, bcast4(a.qs + 16 + 4 * m));
    }
  }
  static __m256i finish(Sum s, const Q8S& a) { return _mm256_sub_epi32(s, _mm256_set1_epi32(8 * a.sum)); }

  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i v = pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m);
    const __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
    for (int n = 0; n < N; ++n) {
      const Q8S& a = x[n][j];
      sums[n] = _mm512_dpbusd_epi32(sums[n], lo, pairs::bcast4(a.qs + 4 * m));
      sums[n] = _mm512_dpbusd_epi32(sums[n], hi, pairs::bcast4(a.qs + 16 + 4 * m));
    }
  }
  static __m512i finish(__m512i s, const Q8S& a) { return _mm512_sub_epi32(s, _mm512_set1_epi32(8 * a.sum)); }
};

// Q8_0: vpdpbusd wants one unsigned operand, so the weights are offset to w + 128 (a flip of
// the top bit) and 128 * sum(x) comes off per block.
struct VnniQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr int kSteps = 8;  // step m: elements 4m..4m+3
  using Sum = __m256i;             // int32 sums
  static Sum zero() { return _mm256_setzero_si256(); }
  template <int N>
  static void step(const Block& b, int m, const Q8S* const* x, int64_t j, Sum* sums) {
    const __m256i u = _mm256_xor_si256(load32(b.qs + 32 * m), _mm256_set1_epi8(int8_t(0x80)));
    for (int n = 0; n < N; ++n) sums[n] = _mm256_dpbusd_epi32(sums[n], u, bcast4(x[n][j].qs + 4 * m));
  }
  static __m256i finish(Sum s, const Q8S& a) { return _mm256_sub_epi32(s, _mm256_set1_epi32(128 * a.sum)); }

  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i u = _mm512_xor_si512(pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m), _mm512_set1_epi8(int8_t(0x80)));
    for (int n = 0; n < N; ++n) sums[n] = _mm512_dpbusd_epi32(sums[n], u, pairs::bcast4(x[n][j].qs + 4 * m));
  }
  static __m512i finish(__m512i s, const Q8S& a) { return _mm512_sub_epi32(s, _mm512_set1_epi32(128 * a.sum)); }
};

// Two groups (rows r..r+15) against N activation rows: group_tile's steps, 16 row lanes wide.
template <class P, int N>
void pair_tile(const GemmArgs& a, int64_t r, int64_t b) {
  using Block = typename P::Block;
  const auto* w0 = reinterpret_cast<const Block*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* w1 = reinterpret_cast<const Block*>(a.w + size_t(r + packed::kRows) * a.w_row_bytes);
  const Q8S* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8S*>(a.x + size_t(b + n) * a.x_row_bytes);
  __m512 acc[N];
  for (int n = 0; n < N; ++n) acc[n] = _mm512_setzero_ps();
  const int64_t blocks = a.k / layout::kQK;
  for (int64_t j = 0; j < blocks; ++j) {
    for (const Block* w : {w0, w1}) {
      const char* ahead = reinterpret_cast<const char*>(&w[j + avx2::packed_gemm::kPrefetchBlocks]);
      for (size_t off = 0; off < sizeof(Block); off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    }
    __m512i sums[N];
    for (int n = 0; n < N; ++n) sums[n] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int m = 0; m < P::kSteps; ++m) {
      P::template step<N>(w0[j], w1[j], m, x, j, sums);
      for (int n = 0; n < N; ++n) pairs::keep_sum_order(sums[n]);
    }
    const __m512 dw = pairs::row_scales(w0[j].d, w1[j].d);
    for (int n = 0; n < N; ++n) {
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(x[n][j].d));
      acc[n] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P::finish(sums[n], x[n][j])), d, acc[n]);
    }
  }
  for (int n = 0; n < N; ++n) _mm512_storeu_ps(a.y + (b + n) * a.y_stride + r, acc[n]);
}

template <class P>
struct PairKernel {
  template <int N>
  static void pair(const GemmArgs& a, int64_t r, int64_t b) { pair_tile<P, N>(a, r, b); }
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { avx2::packed_gemm::group_tile<P, N>(a, r, b); }
};

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::gemm_q4_0_x8(a, r0, r1);
  pairs::run<PairKernel<VnniQ4_0>>(a, r0, r1);
}
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb < pairs::kMinBatch) return avx2::gemm_q8_0_x8(a, r0, r1);
  pairs::run<PairKernel<VnniQ8_0>>(a, r0, r1);
}

}  // namespace minnow::kernels::vnni
