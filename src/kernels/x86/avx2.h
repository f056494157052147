#pragma once
// Entry points of the AVX2 (+FMA +F16C) kernels, defined in the avx2_*.cpp files (built with
// those ISA flags; call only when the CPU has them).
#include <cstdint>

#include "kernels/kernels.h"

namespace minnow::kernels::avx2 {

void quantize_q8_0(const float* x, void* out, int64_t k);
void quantize_q8_1(const float* x, void* out, int64_t k);
void quantize_q8_k(const float* x, void* out, int64_t k);
void quantize_q8s(const float* x, void* out, int64_t k);  // packed::Q8S
void copy_f32(const float* x, void* out, int64_t k);
void convert_f16(const float* x, void* out, int64_t k);
void convert_bf16(const float* x, void* out, int64_t k);

void silu_mul(float* g, const float* u, int64_t n);
void softmax(float* x, int64_t n);

void gemm_f32(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_f16(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_f16_f32act(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_f16_one_token(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_f32_one_token(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16_one_token(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_0(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_1(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q5_0(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q5_1(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q2_k(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q3_k(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q5_k(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q6_k(const GemmArgs& a, int64_t r0, int64_t r1);

// Packed (8-row interleaved) layouts of kernels/packed.h.
void gemm_q4_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q8_0_x8_llama(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q6_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k_x8(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_q4_k_x8_llama(const GemmArgs& a, int64_t r0, int64_t r1);

}  // namespace minnow::kernels::avx2
