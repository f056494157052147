// AVX2 GEMM over packed Q4_K (kernels/packed_q4_k.h) against plain Q8_K activations.
//
// One 32-bit lane per weight row: 4 activation bytes are broadcast to all lanes and multiplied
// with 4 nibbles of each of the 8 rows (maddubs). The 8 products of one 32-element sub-block
// fit int16 (8 * 2 * 15 * 128 < 2^15), so they are added as int16 and then scaled by the rows'
// sub-block scales with one madd against a vector holding each row's scale in both halves of
// its lane. The mins meet Q8_K's per-16 sums the same way, once per sub-block, in int32. The
// super-block's two int32 sums are then scaled by the 8 rows' d and dmin at once.
#include "kernels/layout.h"
#include "kernels/packed_q4_k.h"
#include "kernels/x86/avx2_packed.h"
#include "kernels/x86/avx2_q4_k_x8.h"

namespace minnow::kernels::avx2 {
namespace {

using packed_gemm::bcast4;
using q4_k_x8::Tile;

// maddubs products added as int16: the 8 products of a sub-block fit (see the top).
struct MaddubsDot {
  using Partial = __m256i;
  static Partial zero() { return _mm256_setzero_si256(); }
  // Saturating adds, which never saturate here, so that the compiler cannot regroup the sums
  // into a tree of products that spills registers.
  static __m256i add(__m256i p, __m256i lo, __m256i hi, const int8_t* xs) {
    p = _mm256_adds_epi16(p, _mm256_maddubs_epi16(lo, bcast4(xs)));
    return _mm256_adds_epi16(p, _mm256_maddubs_epi16(hi, bcast4(xs + 16)));
  }
  static __m256i scale_operand(__m256i doubled) { return doubled; }
  static __m256i scaled(__m256i p, __m256i doubled) { return _mm256_madd_epi16(p, doubled); }
};

// Full tiles: one sum per super-block (fast), or llama.cpp's GEMM steps.
template <bool kLlamaGemm>
struct Q4KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { Tile<MaddubsDot, N, kLlamaGemm && N == 4>::run(a, r, b); }
};

}  // namespace

void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q4KKernel<false>>(a, r0, r1); }
void gemm_q4_k_x8_llama(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q4KKernel<true>>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
