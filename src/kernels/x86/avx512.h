#pragma once
// Entry points of the AVX-512 kernels over the packed layouts (avx512_packed.cpp, built with
// AVX2 + AVX-512 F/BW/VL flags; vnni_packed.cpp, with VNNI too; call only when the CPU has
// them). Batches of 5 activation rows or more go through tiles of two packed groups (16 weight
// rows) in 512-bit vectors (avx512_packed.h); every integer sum is exact and every float step
// per row is the AVX2 tile's, so each kernel gives bit for bit what its AVX2 twin gives.
#include <cstdint>

#include "kernels/kernels.h"

namespace minnow::kernels::avx512 {

// Products by maddubs + madd (AVX-512BW).
void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);

}  // namespace minnow::kernels::avx512

namespace minnow::kernels::vnni {

// Products by vpdpbusd (AVX-512 VNNI): four u8 x s8 products into an int32 lane in one
// instruction where AVX2 needs maddubs, an int16 add and a madd.
void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);

}  // namespace minnow::kernels::vnni

namespace minnow::kernels::amx {

// Prefill tiles by AMX-INT8 (amx_packed.cpp, built with AMX flags too; call only when the CPU
// has AMX and the OS let this process use it: CpuFeatures::amx_int8). Q8_0, int8 activations
// (packed::Q8S).
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);

// Wide GEMMs by AMX-BF16 on bf16 activation rows (amx_bf16.cpp, built with AMX-BF16 and
// AVX512-BF16 flags; call only where CpuFeatures::amx_bf16): PackedKernels::wide (Q4_0, Q4_K, Q6_K).
void quantize_bf16(const float* x, void* out, int64_t k);
void gemm_bf16_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);

// KernelTable::gemm_f16_exact by AMX-BF16 (amx_attn.cpp, the same flags and condition): f16
// weight rows against f32 activation rows holding f16 values.
void gemm_f16_exact(const GemmArgs& a, int64_t r0, int64_t r1);

}  // namespace minnow::kernels::amx
