// AVX-512 VNNI GEMM over packed Q4_K against plain Q8_K activations: the AVX2 tile
// (avx2_q4_k_x8.h) with a sub-block's products summed by vpdpbusd into int32 row lanes, then
// multiplied by the rows' 6-bit scales (vpmulld) instead of madd'ed as int16 pairs.
#include "kernels/x86/avx2_q4_k_x8.h"
#include "kernels/x86/vnni.h"

namespace minnow::kernels::vnni {
namespace {

using avx2::packed_gemm::bcast4;

// Low and high nibbles in chains of their own: one chain of dependent vpdpbusd per activation
// row would leave the unit waiting on its latency.
struct VnniDot {
  struct Partial {
    __m256i lo, hi;
  };
  static Partial zero() { return {_mm256_setzero_si256(), _mm256_setzero_si256()}; }
  static Partial add(Partial p, __m256i lo, __m256i hi, const int8_t* xs) {
    return {_mm256_dpbusd_epi32(p.lo, lo, bcast4(xs)), _mm256_dpbusd_epi32(p.hi, hi, bcast4(xs + 16))};
  }
  // A doubled scale s | s << 16 per lane, to s.
  static __m256i scale_operand(__m256i doubled) { return _mm256_srli_epi32(doubled, 16); }
  static __m256i scaled(Partial p, __m256i scale) { return _mm256_mullo_epi32(_mm256_add_epi32(p.lo, p.hi), scale); }
};

struct Q4KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { avx2::q4_k_x8::Tile<VnniDot, N, false>::run(a, r, b); }
};

}  // namespace

void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { avx2::packed_gemm::run<Q4KKernel>(a, r0, r1); }

}  // namespace minnow::kernels::vnni
