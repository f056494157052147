#pragma once
// aarch64 activation functions. exp (not the AVX2 one, which follows ggml's x86 build):
// exp(x) = 2^n * e^r, n = round(x / ln 2), r = x - n ln 2 with ln 2 split in two, e^r by its
// Taylor series to r^7, 2^n built in the exponent bits. Include after arm_common.h.
#include <cmath>

#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

// Inputs are clamped so that 2^n stays a normal float: below -87 the result is about 1e-38
// instead of a denormal or 0, which no caller can tell apart from 0 after adding 1.
inline float32x4_t exp_f32(float32x4_t x) {
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.0f)), vdupq_n_f32(88.0f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693145751953125f));
  r = vfmsq_f32(r, n, vdupq_n_f32(1.42860682030941723212e-6f));
  float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
  for (const float c : {1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f})
    p = vfmaq_f32(vdupq_n_f32(c), p, r);
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(p, vreinterpretq_f32_s32(bits));
}

void silu_mul(float* g, const float* u, int64_t n) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t x = vld1q_f32(g + i);
    const float32x4_t e = exp_f32(vnegq_f32(x));
    vst1q_f32(g + i, vmulq_f32(vdivq_f32(x, vaddq_f32(one, e)), vld1q_f32(u + i)));
  }
  for (; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

}  // namespace
}  // namespace minnow::kernels::arm
