#pragma once
// Shared pieces of the AVX2 GEMMs over packed (8-row interleaved) layouts. Include only from
// files compiled with the AVX2 flags (see avx2_common.h).
#include "kernels/packed.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2::packed_gemm {

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 4 bytes broadcast to every 32-bit lane, i.e. to every weight row of a packed vector.
inline __m256i bcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

// Runs Kernel::tile<N>(a, r, b) (one group of packed::kRows weight rows at row r against
// activation rows b..b+N-1, N <= 4) over rows [r0, r1) and every activation row. Activations
// go in chunks that stay in cache while every group of the range passes over them.
// Kernel is a class, not a template template argument: gcc gives an instantiation over a
// class template from an anonymous namespace external linkage, and the linker then merges the
// different files' kernels into one.
template <class Kernel>
void run(const GemmArgs& a, int64_t r0, int64_t r1) {
  const int64_t chunk = a.nb == 1 ? 1 : act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = b0 + chunk < a.nb ? b0 + chunk : a.nb;
    for (int64_t r = r0; r < r1; r += packed::kRows) {
      int64_t b = b0;
      for (; b + 4 <= b1; b += 4) Kernel::template tile<4>(a, r, b);
      switch (b1 - b) {
        case 3: Kernel::template tile<3>(a, r, b); break;
        case 2: Kernel::template tile<2>(a, r, b); break;
        case 1: Kernel::template tile<1>(a, r, b); break;
        default: break;
      }
    }
  }
}

}  // namespace minnow::kernels::avx2::packed_gemm
