// AVX-512 (F/BW/VL, no VNNI) GEMMs over the packed layouts: the 16-row tiles of
// avx512_packed.h and avx512_packed_k.h with products by maddubs + madd, for batches of 5
// activation rows or more; the AVX2 kernels serve smaller batches and a last single group.
#include "kernels/x86/avx512.h"
#include "kernels/x86/avx512_packed.h"
#include "kernels/x86/avx512_packed_k.h"

namespace minnow::kernels::avx512 {
namespace {

using packed::Q8S;

// 4 products of unsigned u and signed s bytes per 32-bit lane, added to acc. Exact while each
// pair of products fits int16: u below 128 (Q4 nibbles, Q6 values, |Q8_0 weights|).
struct MaddubsProducts {
  static __m512i add(__m512i acc, __m512i u, __m512i s) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
  }
};

// Q8_0: signed x signed as |w| against x with w's sign (AVX-512 has no vpsignb: x is negated
// where w < 0; where w == 0 the product is 0 either way).
struct PairQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr int kSteps = 8;  // step m: elements 4m..4m+3
  template <int N>
  static void step(const Block& b0, const Block& b1, int m, const Q8S* const* x, int64_t j, __m512i* sums) {
    const __m512i w = pairs::load_pair(b0.qs + 32 * m, b1.qs + 32 * m);
    const __m512i w_abs = _mm512_abs_epi8(w);
    const __mmask64 negative = _mm512_movepi8_mask(w);
    for (int n = 0; n < N; ++n) {
      const __m512i xv = pairs::bcast4(x[n][j].qs + 4 * m);
      const __m512i x_signed = _mm512_mask_sub_epi8(xv, negative, _mm512_setzero_si512(), xv);
      sums[n] = MaddubsProducts::add(sums[n], w_abs, x_signed);
    }
  }
  static __m512i finish(__m512i s, const Q8S&) { return s; }
};

using Gemms = pairs::PackedGemms<MaddubsProducts, PairQ8_0>;

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q4_0(a, r0, r1); }
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q8_0(a, r0, r1); }
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q4_k(a, r0, r1); }
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q6_k(a, r0, r1); }

}  // namespace minnow::kernels::avx512
