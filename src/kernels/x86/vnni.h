#pragma once
// Entry points of the AVX-512 VNNI kernels (vnni_*.cpp, built with AVX2 + AVX-512 F/BW/VL/VNNI
// flags; call only when the CPU has them). They take the 256-bit forms of vpdpbusd, which sum
// four u8 x s8 products into an int32 lane in one instruction where AVX2 needs maddubs, an
// int16 add and a madd: the packed layouts already hold 4 elements of a row per 32-bit lane.
// Every integer sum is exact, so each kernel gives bit for bit what its AVX2 twin gives.
#include <cstdint>

#include "kernels/kernels.h"

namespace minnow::kernels::vnni {

void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);

}  // namespace minnow::kernels::vnni
