// Scalar packing, unpacking and activation quantization for the packed legacy layouts.
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/packed.h"
#include "kernels/packed_q4_k.h"
#include "kernels/packed_q6_k.h"
#include "util/fp16.h"

namespace minnow::kernels::packed {
namespace {

namespace L = layout;

template <class Block>
const Block& src_block(const uint8_t* src, size_t src_row_bytes, int row, int64_t j) {
  return reinterpret_cast<const Block*>(src + size_t(row) * src_row_bytes)[j];
}

template <void (*Unpack)(const uint8_t*, int, int64_t, float*)>
void gemm_bf16_ref(const GemmArgs& a, int64_t r0, int64_t r1) {
  std::vector<float> w(static_cast<size_t>(a.k));
  for (int64_t r = r0; r < r1; ++r) {
    Unpack(a.w + size_t(r / kRows * kRows) * a.w_row_bytes, int(r % kRows), a.k, w.data());
    for (float& v : w) v = bf16_to_f32(f32_to_bf16(v));
    for (int64_t b = 0; b < a.nb; ++b) {
      const auto* x = reinterpret_cast<const uint16_t*>(a.x + size_t(b) * a.x_row_bytes);
      float sum = 0.0f;
      for (int64_t i = 0; i < a.k; ++i) sum += w[size_t(i)] * bf16_to_f32(x[i]);
      a.y[b * a.y_stride + r] = sum;
    }
  }
}

}  // namespace

size_t bf16_row_bytes(int64_t k) { return size_t(k) * sizeof(uint16_t); }

void quantize_bf16_ref(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  for (int64_t i = 0; i < k; ++i) y[i] = f32_to_bf16(x[i]);
}

void gemm_bf16_q4_0x8_ref(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_bf16_ref<unpack_row_q4_0x8>(a, r0, r1); }
void gemm_bf16_q4_kx8_ref(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_bf16_ref<unpack_row_q4_k_x8>(a, r0, r1); }
void gemm_bf16_q6_kx8_ref(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_bf16_ref<unpack_row_q6_k_x8>(a, r0, r1); }

size_t q8s_row_bytes(int64_t k) { return size_t(k / L::kQK) * sizeof(Q8S); }

size_t q8k_row_bytes(int64_t k) { return act_row_bytes(DType::Q8_K, k); }

void quantize_q8s_ref(const float* x, void* out, int64_t k) {
  const ActQuantFn q8_0 = reference_kernels().for_type(DType::Q4_0).quantize_act;
  auto* y = static_cast<Q8S*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    L::Q8_0 b;
    q8_0(x + ib * L::kQK, &b, L::kQK);
    y[ib].d = fp16_to_f32(b.d);
    int32_t half[2] = {0, 0};
    for (int i = 0; i < L::kQK; ++i) half[(i % 4) / 2] += b.qs[i];
    set_q8s_offsets(y[ib], half[0], half[1]);
    std::memcpy(y[ib].qs, b.qs, sizeof(b.qs));
  }
}

void pack_q4_0x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst) {
  auto* out = reinterpret_cast<Q4_0x8*>(dst);
  for (int64_t j = 0; j < k / L::kQK; ++j) {
    for (int r = 0; r < kRows; ++r) {
      const auto& b = src_block<L::Q4_0>(src, src_row_bytes, r, j);
      out[j].d[r] = b.d;
      for (int m = 0; m < 4; ++m) std::memcpy(out[j].qs + 32 * m + 4 * r, b.qs + 4 * m, 4);
    }
  }
}

void unpack_row_q4_0x8(const uint8_t* group, int row, int64_t k, float* out) {
  const auto* in = reinterpret_cast<const Q4_0x8*>(group);
  for (int64_t j = 0; j < k / L::kQK; ++j, out += L::kQK) {
    const float d = fp16_to_f32(in[j].d[row]);
    for (int m = 0; m < 4; ++m)
      for (int i = 0; i < 4; ++i) {
        const uint8_t byte = in[j].qs[32 * m + 4 * row + i];
        out[4 * m + i] = float(int(byte & 0xF) - 8) * d;
        out[16 + 4 * m + i] = float(int(byte >> 4) - 8) * d;
      }
  }
}

void pack_q8_0x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst) {
  auto* out = reinterpret_cast<Q8_0x8*>(dst);
  for (int64_t j = 0; j < k / L::kQK; ++j) {
    for (int r = 0; r < kRows; ++r) {
      const auto& b = src_block<L::Q8_0>(src, src_row_bytes, r, j);
      out[j].d[r] = b.d;
      for (int m = 0; m < 8; ++m) std::memcpy(out[j].qs + 32 * m + 4 * r, b.qs + 4 * m, 4);
    }
  }
}

void unpack_row_q8_0x8(const uint8_t* group, int row, int64_t k, float* out) {
  const auto* in = reinterpret_cast<const Q8_0x8*>(group);
  for (int64_t j = 0; j < k / L::kQK; ++j, out += L::kQK) {
    const float d = fp16_to_f32(in[j].d[row]);
    for (int m = 0; m < 8; ++m)
      for (int i = 0; i < 4; ++i) out[4 * m + i] = float(in[j].qs[32 * m + 4 * row + i]) * d;
  }
}

}  // namespace minnow::kernels::packed
