// AVX-512 VNNI GEMMs over the packed layouts: the 16-row tiles of avx512_packed.h and
// avx512_packed_k.h with products by vpdpbusd, for batches of 5 activation rows or more;
// smaller batches and a last single group go to the AVX2 kernels.
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
  static __m512i finish(__m512i s, const Q8S& xa) { return _mm512_sub_epi32(s, _mm512_set1_epi32(128 * xa.sum)); }
};

using Gemms = pairs::PackedGemms<VnniProducts, PairQ8_0>;

}  // namespace

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q4_0(a, r0, r1); }
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q8_0(a, r0, r1); }
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q4_k(a, r0, r1); }
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { Gemms::q6_k(a, r0, r1); }

}  // namespace minnow::kernels::vnni
