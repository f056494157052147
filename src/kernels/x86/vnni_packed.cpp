// AVX-512 VNNI GEMMs over the packed layouts: the 16-row tiles of avx512_packed.h and
// avx512_packed_k.h with products by vpdpbusd, for batches of 5 activation rows or more;
// smaller batches and a last single group go to the AVX2 kernels, except Q4_K decode.
#include "kernels/x86/avx512.h"
#include "kernels/x86/avx512_packed.h"
#include "kernels/x86/avx512_packed_k.h"

namespace minnow::kernels::vnni {
namespace {

using packed::Q8S;
namespace pairs = avx512::pairs;

struct VnniProducts {
  static __m512i add(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};

// Q8_0: vpdpbusd wants one unsigned operand, so the weights are offset to w + 128 (a flip of
// the top bit) and 128 * sum(x) comes off per block.
struct PairQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr int kSteps = 8;  // step m: elements 4m..4m+3
  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i u = _mm512_xor_si512(pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m), _mm512_set1_epi8(int8_t(0x80)));
    for (int n = 0; n < N; ++n) sums[n] = _mm512_dpbusd_epi32(sums[n], u, pairs::bcast4(x[n][j].qs + 4 * m));
  }
  static __m512i finish(__m512i s, const Q8S& xa) { return _mm512_sub_epi32(s, _mm512_set1_epi32(128 * packed::q8s_sum(xa))); }
};

using Gemms = pairs::PackedGemms<VnniProducts, PairQ8_0>;

// One group of 8 Q4_K rows against one activation row (decode) with 256-bit vpdpbusd: the
// integer sums and float steps of the AVX2 one-row tile (avx2_packed_q4_k.cpp), so the same
// bits, in fewer instructions. Unlike the 16-row tiles this reads weights faster than AVX2 when
// memory-bound: qwen2-1.5b Q4_K_M decode, 1 thread, Zen 4, three alternating pairs of
// `minnow bench -p 16 -n 128 -r 2`: 22.9 / 22.5 / 22.1 tok/s against 20.3 / 20.8 / 20.5.
void q4_k_decode_tile(const GemmArgs& a, int64_t r, int64_t b) {
  using avx2::packed_gemm::bcast4;
  using avx2::packed_gemm::load32;
  using avx2::q4_k_x8::Doubled;
  const auto* w = reinterpret_cast<const packed::Q4_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  const auto* x = reinterpret_cast<const layout::Q8_K*>(a.x + size_t(b) * a.x_row_bytes);
  __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int64_t j = 0; j < a.k / layout::kQKK; ++j) {
    const packed::Q4_Kx8& blk = w[j];
    const char* ahead = reinterpret_cast<const char*>(&blk) + avx2::q4_k_x8::kPrefetchBytes;
    avx2::packed_gemm::prefetch_weights(a, ahead, sizeof(blk));
    Doubled scales;
    avx2::q4_k_x8::decode_scales(blk.scales, scales);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
    __m256i sum = _mm256_setzero_si256();
    for (int s = 0; s < packed::kQ4Subs; ++s) {
      __m256i plo = _mm256_setzero_si256(), phi = _mm256_setzero_si256();
      for (int c = 0; c < packed::kQ4Chunks; ++c) {
        const __m256i q = load32(blk.q[s][c]);
        const int8_t* xs = x[j].qs + 32 * s + 4 * c;
        plo = _mm256_dpbusd_epi32(plo, _mm256_and_si256(q, low4), bcast4(xs));
        phi = _mm256_dpbusd_epi32(phi, _mm256_and_si256(_mm256_srli_epi16(q, 4), low4), bcast4(xs + 16));
      }
      sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(_mm256_add_epi32(plo, phi), _mm256_srli_epi32(scales.operand(s), 16)));
    }
    const avx2::q4_k_x8::MinPairs mins = avx2::q4_k_x8::decode_mins(blk.mins);
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.dmin)));
    const __m256i msum = avx2::q4_k_x8::min_dot(mins, x[j].bsums);
    const __m256 xd = _mm256_broadcast_ss(&x[j].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(d, xd), acc);
    acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, xd), acc_min);
  }
  _mm256_storeu_ps(a.y + b * a.y_stride + r, _mm256_sub_ps(acc, acc_min));
}

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q4_0(a, r0, r1); }
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q8_0(a, r0, r1); }
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) {
    for (int64_t r = r0; r < r1; r += packed::kRows) q4_k_decode_tile(a, r, 0);
    return;
  }
  Gemms::q4_k(a, r0, r1);
}
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q6_k(a, r0, r1); }

}  // namespace minnow::kernels::vnni
