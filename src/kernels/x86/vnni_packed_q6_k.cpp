// AVX-512 VNNI GEMM over packed Q6_K against plain Q8_K activations: the AVX2 tile
// (avx2_q6_k_x8.h) with a group's products summed by vpdpbusd into int32 row lanes, then
// multiplied by the rows' int8 group scales (vpmulld) instead of madd'ed as int16 pairs.
#include "kernels/x86/avx2_q6_k_x8.h"
#include "kernels/x86/vnni.h"

namespace minnow::kernels::vnni {
namespace {

using avx2::packed_gemm::bcast4;
using avx2::q6_k_x8::Group;

struct VnniDot {
  // A doubled signed scale s | s << 16 per lane, to s.
  static __m256i scale_operand(__m256i doubled) { return _mm256_srai_epi32(doubled, 16); }
  static __m256i group(const Group& g, const int8_t* x, __m256i scale) {
    __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), g.q[0], bcast4(x));
    p = _mm256_dpbusd_epi32(p, g.q[1], bcast4(x + 4));
    p = _mm256_dpbusd_epi32(p, g.q[2], bcast4(x + 8));
    p = _mm256_dpbusd_epi32(p, g.q[3], bcast4(x + 12));
    return _mm256_mullo_epi32(p, scale);
  }
};

struct Q6KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { avx2::q6_k_x8::tile<VnniDot, N>(a, r, b); }
};

}  // namespace

void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { avx2::packed_gemm::run<Q6KKernel>(a, r0, r1); }

}  // namespace minnow::kernels::vnni
