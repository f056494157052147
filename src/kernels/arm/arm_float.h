#pragma once
// aarch64 GEMM for float weights: F32 x F32, F16 x F16 and BF16 x BF16, each widened to f32
// and accumulated with FMA, 4 elements per step (one accumulator per row pair, up to 16 in
// a 4x4 tile: enough independent chains for 4 FMA pipes); leftovers summed in scalar.
// Include after arm_common.h.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

inline float bf16_value(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

struct FloatF32 {
  static float32x4_t load(const uint8_t* row, int64_t i) { return vld1q_f32(reinterpret_cast<const float*>(row) + i); }
  static float scalar(const uint8_t* row, int64_t i) { return reinterpret_cast<const float*>(row)[i]; }
};

struct FloatF16 {
  static float32x4_t load(const uint8_t* row, int64_t i) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row) + i)));
  }
  static float scalar(const uint8_t* row, int64_t i) { return half_to_float(reinterpret_cast<const uint16_t*>(row)[i]); }
};

struct FloatBF16 {
  static float32x4_t load(const uint8_t* row, int64_t i) {
    const uint16x4_t h = vld1_u16(reinterpret_cast<const uint16_t*>(row) + i);
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
  }
  static float scalar(const uint8_t* row, int64_t i) { return bf16_value(reinterpret_cast<const uint16_t*>(row)[i]); }
};

template <class P>
struct FloatTile {
  static constexpr bool kMmla = false;

  template <int R, int N>
  static void dot(const GemmArgs& a, int64_t r, int64_t b) {
    const uint8_t* w[R];
    const uint8_t* x[N];
    row_pointers(a.w, a.w_row_bytes, r, R, w);
    row_pointers(a.x, a.x_row_bytes, b, N, x);
    float32x4_t acc[R][N];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < N; ++j) acc[i][j] = vdupq_n_f32(0.0f);
    const int64_t whole = a.k / 4 * 4;
    for (int64_t e = 0; e < whole; e += 4) {
      float32x4_t wv[R];
      for (int i = 0; i < R; ++i) wv[i] = P::load(w[i], e);
      for (int j = 0; j < N; ++j) {
        const float32x4_t xv = P::load(x[j], e);
        for (int i = 0; i < R; ++i) acc[i][j] = vfmaq_f32(acc[i][j], wv[i], xv);
      }
    }
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < N; ++j) {
        float sum = vaddvq_f32(acc[i][j]);
        for (int64_t e = whole; e < a.k; ++e) sum += P::scalar(w[i], e) * P::scalar(x[j], e);
        a.y[(b + j) * a.y_stride + r + i] = sum;
      }
  }
};

}  // namespace
}  // namespace minnow::kernels::arm
