#pragma once
// Reference (scalar, bit-exact with ggml) dequantization and quantization of tensor rows.
// Block structs live in quant/blocks.h. n is a multiple of the type's block_elems.
#include <cstdint>

#include "quant/types.h"

namespace minnow {

// dst[0..n) = dequantized src row. Supports every DType with weight_type == true
// (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K) plus Q8_1 and Q8_K.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Reference quantizer (ggml's *_ref rounding, no importance matrix): dst receives
// row_bytes(type, n) bytes.
void quantize_row(DType type, const float* src, void* dst, int64_t n);

}  // namespace minnow
