#pragma once
// aarch64 GEMMs over packed Q4_K and Q6_K (kernels/packed_q*_k.h) against plain Q8_K
// activations, for the dotprod table. Q4_K: a 16-byte half of a packed vector is 4 elements
// of 4 rows (low nibbles: elements 4 c + i of a sub-block, high nibbles: 16 + 4 c + i), so
// sdot by lane meets them with 4 activation bytes. Each 32-element sub-block's int32 sums are
// scaled by the 4 rows' sub-block scales with one multiply-accumulate; the mins meet the
// activations' 32-element sums (Q8_K's bsums in pairs) once per super-block. The integer sums are those of
// the reference, the float steps those of the AVX2 kernel. Include after arm_common.h, from
// files built with +dotprod.
#include <utility>

#include "kernels/arm/arm_common.h"
#include "kernels/packed_q4_k.h"
#include "kernels/packed_q6_k.h"

namespace minnow::kernels::arm {
namespace {

using packed::kQ4Subs;
using packed::Q4_Kx8;

// The 64 values of a SixBit64 in index order, as 4 vectors of 16.
inline uint8x16x4_t six_bit_values(const packed::SixBit64& in) {
  const uint8x16_t b0 = vld1q_u8(in.b), b1 = vld1q_u8(in.b + 16), b2 = vld1q_u8(in.b + 32);
  const uint8x16_t low6 = vdupq_n_u8(0x3F), low4 = vdupq_n_u8(0x0F);
  return {{vandq_u8(b0, low6), vandq_u8(b1, low6),
           vorrq_u8(vandq_u8(b2, low4), vshlq_n_u8(vshrq_n_u8(b0, 6), 4)),
           vorrq_u8(vshrq_n_u8(b2, 4), vshlq_n_u8(vshrq_n_u8(b1, 6), 4))}};
}

// Byte k = 8 s + r of the gathered mins is min index q4_k_x8_min_index(s, r).
struct MinGather {
  uint8_t index[64];
};
constexpr MinGather make_min_gather() {
  MinGather g{};
  for (int s = 0; s < kQ4Subs; ++s)
    for (int r = 0; r < packed::kRows; ++r) g.index[8 * s + r] = uint8_t(packed::q4_k_x8_min_index(s, r));
  return g;
}
constexpr MinGather kMinGather = make_min_gather();

// Per-row values of one super-block, by sub-block: [s][0] rows 0-3, [s][1] rows 4-7.
struct RowValues {
  int32x4_t v[kQ4Subs][2];
};

// Values at index 8 s + r (16 per vector) widened to int32 per (sub-block, row half).
inline void widen_rows(const uint8x16x4_t& by_sub, RowValues& out) {
  for (int q = 0; q < 4; ++q) {
    const uint16x8_t first = vmovl_u8(vget_low_u8(by_sub.val[q])), second = vmovl_high_u8(by_sub.val[q]);
    out.v[2 * q][0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(first)));
    out.v[2 * q][1] = vreinterpretq_s32_u32(vmovl_high_u16(first));
    out.v[2 * q + 1][0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(second)));
    out.v[2 * q + 1][1] = vreinterpretq_s32_u32(vmovl_high_u16(second));
  }
}

inline void decode_q4_k_x8(const Q4_Kx8& blk, RowValues& scales, RowValues& mins) {
  widen_rows(six_bit_values(blk.scales), scales);
  const uint8x16x4_t m = six_bit_values(blk.mins);
  uint8x16x4_t by_sub;
  for (int q = 0; q < 4; ++q) by_sub.val[q] = vqtbl4q_u8(m, vld1q_u8(kMinGather.index + 16 * q));
  widen_rows(by_sub, mins);
}

// Sub-block s of 8 rows against N activation rows: int32 sums for rows 0-3 and 4-7.
template <int N, int S>
inline void sub_block_dots(const Q4_Kx8& blk, const L::Q8_K* const (&x)[N], int32x4_t (&t0)[N], int32x4_t (&t1)[N]) {
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  int8x16_t xa[N], xb[N];
  for (int n = 0; n < N; ++n) {
    xa[n] = vld1q_s8(x[n]->qs + 32 * S);
    xb[n] = vld1q_s8(x[n]->qs + 32 * S + 16);
    t0[n] = t1[n] = vdupq_n_s32(0);
  }
  [&]<int... C>(std::integer_sequence<int, C...>) {
    (([&] {
       const uint8x16_t w0 = vld1q_u8(blk.q[S][C]), w1 = vld1q_u8(blk.q[S][C] + 16);
       const int8x16_t lo0 = vreinterpretq_s8_u8(vandq_u8(w0, low4)), hi0 = vreinterpretq_s8_u8(vshrq_n_u8(w0, 4));
       const int8x16_t lo1 = vreinterpretq_s8_u8(vandq_u8(w1, low4)), hi1 = vreinterpretq_s8_u8(vshrq_n_u8(w1, 4));
       for (int n = 0; n < N; ++n) {
         t0[n] = vdotq_laneq_s32(vdotq_laneq_s32(t0[n], lo0, xa[n], C), hi0, xb[n], C);
         t1[n] = vdotq_laneq_s32(vdotq_laneq_s32(t1[n], lo1, xa[n], C), hi1, xb[n], C);
       }
     }()),
     ...);
  }(std::make_integer_sequence<int, packed::kQ4Chunks>{});
}

// One group of 8 weight rows at row r against activation rows b .. b + N - 1.
template <int N>
void packed_q4_k_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const Q4_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  float32x4_t acc0[N], acc1[N];
  for (int n = 0; n < N; ++n) acc0[n] = acc1[n] = vdupq_n_f32(0.0f);
  RowValues scales, mins;
  for (int64_t j = 0; j < a.k / L::kQKK; ++j) {
    const Q4_Kx8& blk = w[j];
    const L::Q8_K* x[N];
    for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const L::Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes) + j;
    decode_q4_k_x8(blk, scales, mins);
    int32x4_t sum0[N], sum1[N];
    for (int n = 0; n < N; ++n) sum0[n] = sum1[n] = vdupq_n_s32(0);
    [&]<int... S>(std::integer_sequence<int, S...>) {
      (([&] {
         int32x4_t t0[N], t1[N];
         sub_block_dots<N, S>(blk, x, t0, t1);
         for (int n = 0; n < N; ++n) {
           sum0[n] = vmlaq_s32(sum0[n], t0[n], scales.v[S][0]);
           sum1[n] = vmlaq_s32(sum1[n], t1[n], scales.v[S][1]);
         }
       }()),
       ...);
    }(std::make_integer_sequence<int, kQ4Subs>{});
    const float32x4_t d0 = halves4(blk.d), d1 = halves4(blk.d + 4);
    const float32x4_t dmin0 = halves4(blk.dmin), dmin1 = halves4(blk.dmin + 4);
    for (int n = 0; n < N; ++n) {
      // 32-element sums of the activations: bsums (per 16) added in pairs.
      const int16x8_t pairs = vpaddq_s16(vld1q_s16(x[n]->bsums), vld1q_s16(x[n]->bsums + 8));
      const int32x4_t lo = vmovl_s16(vget_low_s16(pairs)), hi = vmovl_high_s16(pairs);
      int32x4_t m0 = vdupq_n_s32(0), m1 = vdupq_n_s32(0);
      [&]<int... S>(std::integer_sequence<int, S...>) {
        ((m0 = vmlaq_laneq_s32(m0, mins.v[S][0], S < 4 ? lo : hi, S % 4),
          m1 = vmlaq_laneq_s32(m1, mins.v[S][1], S < 4 ? lo : hi, S % 4)),
         ...);
      }(std::make_integer_sequence<int, kQ4Subs>{});
      const float xd = x[n]->d;
      acc0[n] = vfmaq_f32(acc0[n], vcvtq_f32_s32(sum0[n]), vmulq_n_f32(d0, xd));
      acc1[n] = vfmaq_f32(acc1[n], vcvtq_f32_s32(sum1[n]), vmulq_n_f32(d1, xd));
      acc0[n] = vfmsq_f32(acc0[n], vcvtq_f32_s32(m0), vmulq_n_f32(dmin0, xd));
      acc1[n] = vfmsq_f32(acc1[n], vcvtq_f32_s32(m1), vmulq_n_f32(dmin1, xd));
    }
  }
  for (int n = 0; n < N; ++n) {
    vst1q_f32(a.y + (b + n) * a.y_stride + r, acc0[n]);
    vst1q_f32(a.y + (b + n) * a.y_stride + r + 4, acc1[n]);
  }
}

struct PackedArmQ4_K {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { packed_q4_k_tile<N>(a, r, b); }
};

// Q6_K: per 16-element group, the 4 chunks' unsigned 6-bit values (stored value + 32) meet
// the group's 16 activation bytes by lane; the offset comes off as 32 * (the group's bsum)
// before the group scale multiplies, all in int32 (at most 16 * 127 * 63 * 127 * 16).
using packed::kQ6Groups;
using packed::Q6_Kx8;

// Chunks 0-3 of one group, for rows 0-3 (half 0) or 4-7 (half 1) of the plane vectors.
inline void decode_q6_chunks(const Q6_Kx8& blk, int g, int half, int8x16_t (&q)[4]) {
  const uint8x16_t low6 = vdupq_n_u8(0x3F), top2 = vdupq_n_u8(0xC0);
  const uint8x16_t a = vld1q_u8(blk.q[g][0] + 16 * half), b = vld1q_u8(blk.q[g][1] + 16 * half),
                   c = vld1q_u8(blk.q[g][2] + 16 * half);
  q[0] = vreinterpretq_s8_u8(vandq_u8(a, low6));
  q[1] = vreinterpretq_s8_u8(vandq_u8(b, low6));
  q[2] = vreinterpretq_s8_u8(vandq_u8(c, low6));
  const uint8x16_t hi = vorrq_u8(vshrq_n_u8(vandq_u8(a, top2), 2), vshrq_n_u8(vandq_u8(b, top2), 4));
  q[3] = vreinterpretq_s8_u8(vorrq_u8(hi, vshrq_n_u8(c, 6)));
}

template <int N>
void packed_q6_k_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const Q6_Kx8*>(a.w + size_t(r) * a.w_row_bytes);
  float32x4_t acc[N][2];
  for (int n = 0; n < N; ++n) acc[n][0] = acc[n][1] = vdupq_n_f32(0.0f);
  for (int64_t j = 0; j < a.k / L::kQKK; ++j) {
    const Q6_Kx8& blk = w[j];
    const L::Q8_K* x[N];
    for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const L::Q8_K*>(a.x + size_t(b + n) * a.x_row_bytes) + j;
    int32x4_t sum[N][2];
    for (int n = 0; n < N; ++n) sum[n][0] = sum[n][1] = vdupq_n_s32(0);
    for (int g = 0; g < kQ6Groups; ++g) {
      // scales[g / 2]: rows 0-3 of groups 2p, 2p + 1, then rows 4-7 of both.
      const int8x16_t sc8 = vld1q_s8(blk.scales[g / 2]);
      const int16x8_t sc16[2] = {vmovl_s8(vget_low_s8(sc8)), vmovl_high_s8(sc8)};
      int8x16_t xg[N];
      for (int n = 0; n < N; ++n) xg[n] = vld1q_s8(x[n]->qs + 16 * g);
      for (int half = 0; half < 2; ++half) {
        const int32x4_t scale = g % 2 == 0 ? vmovl_s16(vget_low_s16(sc16[half])) : vmovl_high_s16(sc16[half]);
        int8x16_t q[4];
        decode_q6_chunks(blk, g, half, q);
        for (int n = 0; n < N; ++n) {
          int32x4_t t = vdotq_laneq_s32(vdupq_n_s32(-32 * x[n]->bsums[g]), q[0], xg[n], 0);
          t = vdotq_laneq_s32(t, q[1], xg[n], 1);
          t = vdotq_laneq_s32(t, q[2], xg[n], 2);
          t = vdotq_laneq_s32(t, q[3], xg[n], 3);
          sum[n][half] = vmlaq_s32(sum[n][half], t, scale);
        }
      }
    }
    const float32x4_t d[2] = {halves4(blk.d), halves4(blk.d + 4)};
    for (int n = 0; n < N; ++n)
      for (int half = 0; half < 2; ++half)
        acc[n][half] = vfmaq_f32(acc[n][half], vcvtq_f32_s32(sum[n][half]), vmulq_n_f32(d[half], x[n]->d));
  }
  for (int n = 0; n < N; ++n) {
    vst1q_f32(a.y + (b + n) * a.y_stride + r, acc[n][0]);
    vst1q_f32(a.y + (b + n) * a.y_stride + r + 4, acc[n][1]);
  }
}

struct PackedArmQ6_K {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { packed_q6_k_tile<N>(a, r, b); }
};

}  // namespace
}  // namespace minnow::kernels::arm
