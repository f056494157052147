// AVX2 GEMM over packed Q6_K (kernels/packed_q6_k.h) against plain Q8_K activations.
//
// One 32-bit lane per weight row: 4 activation bytes are broadcast to all lanes and multiplied
// with 4 unsigned 6-bit weights q of each of the 8 rows (maddubs). Two such products of one
// 16-element group still fit int16 (4 * 63 * 128), so they are added as int16 and then scaled
// by the rows' group scales with one madd against a vector holding each row's scale in both
// halves of its lane. The -32 offset of the stored values is taken off once per pair of groups
// as 32 * scale * bsum (Q8_K's per-16 sums), exactly, in int32; the super-block's int32 sums
// (at most 16 * 128 * 16 * 63 * 128 in magnitude) are then scaled by the 8 rows' d at once.
#include "kernels/layout.h"
#include "kernels/packed_q6_k.h"
#include "kernels/x86/avx2_packed.h"
#include "kernels/x86/avx2_q6_k_x8.h"

namespace minnow::kernels::avx2 {
namespace {

using packed_gemm::bcast4;
using q6_k_x8::Group;

struct MaddubsDot {
  static __m256i scale_operand(__m256i doubled) { return doubled; }
  // Per row lane: scale * sum over the group's 16 elements of q * x.
  static __m256i group(const Group& g, const int8_t* x, __m256i scale) {
    const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(g.q[0], bcast4(x)),
                                         _mm256_maddubs_epi16(g.q[1], bcast4(x + 4)));
    const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(g.q[2], bcast4(x + 8)),
                                         _mm256_maddubs_epi16(g.q[3], bcast4(x + 12)));
    return _mm256_add_epi32(_mm256_madd_epi16(p01, scale), _mm256_madd_epi16(p23, scale));
  }
};

struct Q6KKernel {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { q6_k_x8::tile<MaddubsDot, N>(a, r, b); }
};

}  // namespace

void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1) { packed_gemm::run<Q6KKernel>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
