#pragma once
// aarch64 GEMM for the 32-element block types: Q4_0, Q5_0, Q8_0 against Q8_0 activations and
// Q4_1, Q5_1 against Q8_1. Weights are decoded to 32 int8 values (signed for the _0 types,
// whose offset is subtracted at decode), then one integer dot per block scaled by d_w * d_x
// (plus m_w * s_x for the _1 types). Include after arm_common.h and the Isa definition.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

inline int8x16_t low_nibbles(uint8x16_t v) { return vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F))); }
inline int8x16_t high_nibbles(uint8x16_t v) { return vreinterpretq_s8_u8(vshrq_n_u8(v, 4)); }

// 0x10 in byte i of the result where bit i of the 32-bit little-endian qh is set, for bytes
// [16 * half, 16 * half + 16).
inline uint8x16_t fifth_bits(const uint8_t* qh, int half) {
  const uint8x16_t spread = vcombine_u8(vdup_n_u8(qh[2 * half]), vdup_n_u8(qh[2 * half + 1]));
  const uint8x16_t bit = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
  return vandq_u8(vtstq_u8(spread, bit), vdupq_n_u8(0x10));
}

// Each policy: XBlock (activation block), kMin (adds m_w * s_x), and
// load(row, s, q[2], m) -> d: the 32 values of weight block s and its scale (and min) as halves.
struct LegacyQ4_0 {
  using XBlock = L::Q8_0;
  static constexpr bool kMin = false;
  static uint16_t load(const uint8_t* row, int64_t s, int8x16_t q[2], uint16_t&) {
    const auto& b = block_at<L::Q4_0>(row, s);
    const uint8x16_t v = vld1q_u8(b.qs);
    q[0] = vsubq_s8(low_nibbles(v), vdupq_n_s8(8));
    q[1] = vsubq_s8(high_nibbles(v), vdupq_n_s8(8));
    return b.d;
  }
};

struct LegacyQ5_0 {
  using XBlock = L::Q8_0;
  static constexpr bool kMin = false;
  static uint16_t load(const uint8_t* row, int64_t s, int8x16_t q[2], uint16_t&) {
    const auto& b = block_at<L::Q5_0>(row, s);
    const uint8x16_t v = vld1q_u8(b.qs);
    const int8x16_t sixteen = vdupq_n_s8(16);
    q[0] = vsubq_s8(vorrq_s8(low_nibbles(v), vreinterpretq_s8_u8(fifth_bits(b.qh, 0))), sixteen);
    q[1] = vsubq_s8(vorrq_s8(high_nibbles(v), vreinterpretq_s8_u8(fifth_bits(b.qh, 1))), sixteen);
    return b.d;
  }
};

struct LegacyQ8_0 {
  using XBlock = L::Q8_0;
  static constexpr bool kMin = false;
  static uint16_t load(const uint8_t* row, int64_t s, int8x16_t q[2], uint16_t&) {
    const auto& b = block_at<L::Q8_0>(row, s);
    q[0] = vld1q_s8(b.qs);
    q[1] = vld1q_s8(b.qs + 16);
    return b.d;
  }
};

struct LegacyQ4_1 {
  using XBlock = L::Q8_1;
  static constexpr bool kMin = true;
  static uint16_t load(const uint8_t* row, int64_t s, int8x16_t q[2], uint16_t& m) {
    const auto& b = block_at<L::Q4_1>(row, s);
    const uint8x16_t v = vld1q_u8(b.qs);
    q[0] = low_nibbles(v);
    q[1] = high_nibbles(v);
    m = b.m;
    return b.d;
  }
};

struct LegacyQ5_1 {
  using XBlock = L::Q8_1;
  static constexpr bool kMin = true;
  static uint16_t load(const uint8_t* row, int64_t s, int8x16_t q[2], uint16_t& m) {
    const auto& b = block_at<L::Q5_1>(row, s);
    const uint8x16_t v = vld1q_u8(b.qs);
    q[0] = vorrq_s8(low_nibbles(v), vreinterpretq_s8_u8(fifth_bits(b.qh, 0)));
    q[1] = vorrq_s8(high_nibbles(v), vreinterpretq_s8_u8(fifth_bits(b.qh, 1)));
    m = b.m;
    return b.d;
  }
};

inline uint16_t act_min(const L::Q8_0&) { return 0; }
inline uint16_t act_min(const L::Q8_1& b) { return b.s; }

template <class Isa, class P>
struct LegacyTile {
  static constexpr bool kMmla = true;
  using XBlock = typename P::XBlock;

  // R weight rows (lanes) x N activation rows.
  template <int R, int N>
  static void dot(const GemmArgs& a, int64_t r, int64_t b) {
    const uint8_t* w[R];
    const uint8_t* x[N];
    row_pointers(a.w, a.w_row_bytes, r, R, w);
    row_pointers(a.x, a.x_row_bytes, b, N, x);
    float32x4_t acc[N];
    for (int j = 0; j < N; ++j) acc[j] = vdupq_n_f32(0.0f);
    const int64_t blocks = a.k / L::kQK;
    for (int64_t s = 0; s < blocks; ++s) {
      int8x16_t wq[R][2];
      uint16_t dh[4] = {0, 0, 0, 0}, mh[4] = {0, 0, 0, 0};
      for (int i = 0; i < R; ++i) dh[i] = P::load(w[i], s, wq[i], mh[i]);
      const float32x4_t dw = halves4(dh);
      for (int j = 0; j < N; ++j) {
        const XBlock& xb = block_at<XBlock>(x[j], s);
        const int8x16_t x0 = vld1q_s8(xb.qs), x1 = vld1q_s8(xb.qs + 16);
        int32x4_t part[R];
        for (int i = 0; i < R; ++i) part[i] = Isa::dot16(Isa::dot16(vdupq_n_s32(0), wq[i][0], x0), wq[i][1], x1);
        const float32x4_t sums = vcvtq_f32_s32(reduce_rows(part));
        acc[j] = vfmaq_f32(acc[j], sums, vmulq_n_f32(dw, half_to_float(xb.d)));
        if constexpr (P::kMin) acc[j] = vfmaq_n_f32(acc[j], halves4(mh), half_to_float(act_min(xb)));
      }
    }
    for (int j = 0; j < N; ++j) {
      float* y = a.y + (b + j) * a.y_stride + r;
      if (R == 4) vst1q_f32(y, acc[j]);
      else store_lanes(acc[j], y, 1, R);
    }
  }

  // RP weight row pairs x NP activation row pairs; nr rows and nbv activations are real.
  template <int RP, int NP>
  static void mmla(const GemmArgs& a, int64_t r, int nr, int64_t b, int nbv) {
    const uint8_t* w[2 * RP];
    const uint8_t* x[2 * NP];
    row_pointers(a.w, a.w_row_bytes, r, nr, w);
    row_pointers(a.x, a.x_row_bytes, b, nbv, x);
    float32x4_t acc[RP][NP];
    for (int p = 0; p < RP; ++p)
      for (int q = 0; q < NP; ++q) acc[p][q] = vdupq_n_f32(0.0f);
    const int64_t blocks = a.k / L::kQK;
    for (int64_t s = 0; s < blocks; ++s) {
      int8x16_t wz[RP][4];
      float32x4_t dw[RP], mw[RP];  // [r0, r0, r1, r1]
      for (int p = 0; p < RP; ++p) {
        int8x16_t q0[2], q1[2];
        uint16_t m0 = 0, m1 = 0;
        const uint16_t d0 = P::load(w[2 * p], s, q0, m0), d1 = P::load(w[2 * p + 1], s, q1, m1);
        interleave32(q0, q1, wz[p]);
        const uint16_t dh[4] = {d0, d0, d1, d1}, mh[4] = {m0, m0, m1, m1};
        dw[p] = halves4(dh);
        if constexpr (P::kMin) mw[p] = halves4(mh);
      }
      for (int q = 0; q < NP; ++q) {
        const XBlock& x0 = block_at<XBlock>(x[2 * q], s);
        const XBlock& x1 = block_at<XBlock>(x[2 * q + 1], s);
        const int8x16_t a0[2] = {vld1q_s8(x0.qs), vld1q_s8(x0.qs + 16)};
        const int8x16_t a1[2] = {vld1q_s8(x1.qs), vld1q_s8(x1.qs + 16)};
        int8x16_t xz[4];
        interleave32(a0, a1, xz);
        const uint16_t dxh[4] = {x0.d, x1.d, x0.d, x1.d};
        const float32x4_t dx = halves4(dxh);
        for (int p = 0; p < RP; ++p) {
          int32x4_t sum = vdupq_n_s32(0);
          for (int c = 0; c < 4; ++c) sum = Isa::mmla(sum, wz[p][c], xz[c]);
          acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(sum), vmulq_f32(dw[p], dx));
          if constexpr (P::kMin) {
            const uint16_t sh[4] = {act_min(x0), act_min(x1), act_min(x0), act_min(x1)};
            acc[p][q] = vfmaq_f32(acc[p][q], mw[p], halves4(sh));
          }
        }
      }
    }
    for (int p = 0; p < RP; ++p)
      for (int q = 0; q < NP; ++q) store_2x2(acc[p][q], a, r + 2 * p, nr - 2 * p, b + 2 * q, nbv - 2 * q);
  }
};

}  // namespace
}  // namespace minnow::kernels::arm
