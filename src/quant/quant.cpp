#include "quant/quant.h"

#include <cassert>
#include <cstring>
#include <string>

#include "quant/quant_impl.h"
#include "util/error.h"
#include "util/fp16.h"

namespace minnow {

using namespace quant_detail;

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  assert(n % dtype_info(type).block_elems == 0);
  switch (type) {
    case DType::F32: std::memcpy(dst, src, size_t(n) * sizeof(float)); return;
    case DType::F16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(h[i]);
      return;
    }
    case DType::BF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
      return;
    }
    case DType::Q4_0: dequantize_q4_0(static_cast<const block_q4_0*>(src), dst, n); return;
    case DType::Q4_1: dequantize_q4_1(static_cast<const block_q4_1*>(src), dst, n); return;
    case DType::Q5_0: dequantize_q5_0(static_cast<const block_q5_0*>(src), dst, n); return;
    case DType::Q5_1: dequantize_q5_1(static_cast<const block_q5_1*>(src), dst, n); return;
    case DType::Q8_0: dequantize_q8_0(static_cast<const block_q8_0*>(src), dst, n); return;
    case DType::Q8_1: dequantize_q8_1(static_cast<const block_q8_1*>(src), dst, n); return;
    case DType::Q2_K: dequantize_q2_K(static_cast<const block_q2_K*>(src), dst, n); return;
    case DType::Q3_K: dequantize_q3_K(static_cast<const block_q3_K*>(src), dst, n); return;
    case DType::Q4_K: dequantize_q4_K(static_cast<const block_q4_K*>(src), dst, n); return;
    case DType::Q5_K: dequantize_q5_K(static_cast<const block_q5_K*>(src), dst, n); return;
    case DType::Q6_K: dequantize_q6_K(static_cast<const block_q6_K*>(src), dst, n); return;
    case DType::Q8_K: dequantize_q8_K(static_cast<const block_q8_K*>(src), dst, n); return;
    case DType::I8:
    case DType::I16:
    case DType::I32:
    case DType::I64:
    case DType::F64: break;
  }
  throw Error("dequantize_row: type " + std::string(dtype_info(type).name) + " has no float decoding");
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
  assert(n % dtype_info(type).block_elems == 0);
  switch (type) {
    case DType::F32: std::memcpy(dst, src, size_t(n) * sizeof(float)); return;
    case DType::F16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_fp16(src[i]);
      return;
    }
    case DType::BF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::Q4_0: quantize_q4_0(src, static_cast<block_q4_0*>(dst), n); return;
    case DType::Q4_1: quantize_q4_1(src, static_cast<block_q4_1*>(dst), n); return;
    case DType::Q5_0: quantize_q5_0(src, static_cast<block_q5_0*>(dst), n); return;
    case DType::Q5_1: quantize_q5_1(src, static_cast<block_q5_1*>(dst), n); return;
    case DType::Q8_0: quantize_q8_0(src, static_cast<block_q8_0*>(dst), n); return;
    case DType::Q8_1: quantize_q8_1(src, static_cast<block_q8_1*>(dst), n); return;
    case DType::Q2_K: quantize_q2_K(src, static_cast<block_q2_K*>(dst), n); return;
    case DType::Q3_K: quantize_q3_K(src, static_cast<block_q3_K*>(dst), n); return;
    case DType::Q4_K: quantize_q4_K(src, static_cast<block_q4_K*>(dst), n); return;
    case DType::Q5_K: quantize_q5_K(src, static_cast<block_q5_K*>(dst), n); return;
    case DType::Q6_K: quantize_q6_K(src, static_cast<block_q6_K*>(dst), n); return;
    case DType::Q8_K: quantize_q8_K(src, static_cast<block_q8_K*>(dst), n); return;
    case DType::I8:
    case DType::I16:
    case DType::I32:
    case DType::I64:
    case DType::F64: break;
  }
  throw Error("quantize_row: type " + std::string(dtype_info(type).name) + " has no float encoding");
}

}  // namespace minnow
