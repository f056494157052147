#pragma once
// Row-interleaved ("packed") layouts of the legacy 32-element types, their scalar pack/unpack,
// and the activation block their GEMMs consume. Layouts are plain data shared by every ISA;
// each ISA's gemm reads them (see PackedKernels in kernels.h).
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/layout.h"

namespace minnow::kernels::packed {

inline constexpr int kRows = 8;  // rows per group for every packed layout here

// Block j of 8 rows of Q4_0. qs is four 32-byte lanes-of-rows: bytes [32 m + 4 r + i] =
// byte (4 m + i) of row r's block, so one 32-byte load holds 4 packed bytes of each row,
// i.e. elements 4m..4m+3 (low nibbles) and 16+4m..16+4m+3 (high nibbles).
struct Q4_0x8 {
  uint16_t d[kRows];
  uint8_t qs[kRows * layout::kQK / 2];
};
static_assert(sizeof(Q4_0x8) == kRows * sizeof(layout::Q4_0));

// Block j of 8 rows of Q8_0: qs bytes [32 m + 4 r + i] = element (4 m + i) of row r.
struct Q8_0x8 {
  uint16_t d[kRows];
  int8_t qs[kRows * layout::kQK];
};
static_assert(sizeof(Q8_0x8) == kRows * sizeof(layout::Q8_0));

// Activation block for the packed legacy GEMMs: Q8_0's values and scale (widened to float,
// the same value) plus Q4_0's weight offset of 8 against them, ready to add. off8[h] is -8 x the
// sum of the values qs[i] with (i % 4) / 2 == h: a kernel that sums products of 4-byte groups in
// pairs (maddubs: bytes 0-1 into one int16, bytes 2-3 into the next) adds these to its two
// int16 lanes before widening them. Each term, 8 * 16 * 127, fits int16.
struct Q8S {
  float d;
  int16_t off8[2];
  int8_t qs[layout::kQK];
};
static_assert(sizeof(Q8S) == 40);

// Internal linkage: files built with ISA flags use these too, and a shared out-of-line copy
// built with those flags must never serve a CPU without them.
namespace {

// Both halves of off8 as one int32: -8 x the sum of the block's values, for kernels that
// widen before they add it.
inline int32_t q8s_offset(const Q8S& b) { return int32_t(b.off8[0]) + int32_t(b.off8[1]); }

// The sum of a block's values.
inline int32_t q8s_sum(const Q8S& b) { return -q8s_offset(b) / 8; }

// off8 from the values' sums over the two halves of each 4-byte group.
inline void set_q8s_offsets(Q8S& b, int32_t sum_bytes01, int32_t sum_bytes23) {
  b.off8[0] = int16_t(-8 * sum_bytes01);
  b.off8[1] = int16_t(-8 * sum_bytes23);
}

}  // namespace

size_t q8s_row_bytes(int64_t k);
size_t q8k_row_bytes(int64_t k);  // plain Q8_K rows, for packed K-quant GEMMs
// Reference quantizer: the same d and qs as the reference act_q8_0.
void quantize_q8s_ref(const float* x, void* out, int64_t k);

// bf16 activation rows for the wide GEMMs (PackedKernels::wide): k values, rounded to nearest.
size_t bf16_row_bytes(int64_t k);
void quantize_bf16_ref(const float* x, void* out, int64_t k);
// References for the wide GEMMs on bf16 rows: each weight as unpack_row gives it, rounded to
// the nearest bf16, times the bf16 activation, summed in float in element order.
void gemm_bf16_q4_0x8_ref(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16_q4_kx8_ref(const GemmArgs& a, int64_t r0, int64_t r1);
void gemm_bf16_q6_kx8_ref(const GemmArgs& a, int64_t r0, int64_t r1);

void pack_q4_0x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst);
void unpack_row_q4_0x8(const uint8_t* group, int row, int64_t k, float* out);
void pack_q8_0x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst);
void unpack_row_q8_0x8(const uint8_t* group, int row, int64_t k, float* out);

}  // namespace minnow::kernels::packed
