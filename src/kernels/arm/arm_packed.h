#pragma once
// aarch64 GEMM over the packed (8-row interleaved) Q4_0 and Q8_0 layouts of kernels/packed.h
// against Q8S activations, for the dotprod table. The layouts put 4 consecutive elements of
// 4 rows in one 16-byte vector, which is exactly what sdot-by-lane multiplies with 4
// activation bytes: one instruction gives 4 rows x 4 products with no broadcast and no
// horizontal sums, and the 8 rows' results store as two vectors. Include after arm_common.h
// and arm_act.h, from files built with +dotprod.
#include <utility>

#include "kernels/arm/arm_act.h"
#include "kernels/arm/arm_common.h"
#include "kernels/packed.h"

namespace minnow::kernels::arm {
namespace {

using packed::Q8S;

// Activation elements 16 h + 4 m .. + 3 of every activation row, against vector w (elements
// 4 m .. 4 m + 3 of rows 4 k .. 4 k + 3): acc[n] += w . x[n][h] lane m.
template <int N, int M>
inline void sdot_lane(int32x4_t (&acc)[N], int8x16_t w, const int8x16_t (&x)[N]) {
  for (int n = 0; n < N; ++n) acc[n] = vdotq_laneq_s32(acc[n], w, x[n], M);
}

// Q4_0: unsigned nibbles q with value q - 8: sum(q x) - 8 sum(x) per row.
struct PackedArmQ4_0 {
  using Block = packed::Q4_0x8;
  static constexpr bool kOffset = true;
  template <int N>
  static void dots(const Block& b, const int8x16_t (&lo)[N], const int8x16_t (&hi)[N], int32x4_t (&s0)[N],
                   int32x4_t (&s1)[N]) {
    const uint8x16_t low4 = vdupq_n_u8(0x0F);
    [&]<int... M>(std::integer_sequence<int, M...>) {
      (([&] {
         const uint8x16_t w0 = vld1q_u8(b.qs + 32 * M), w1 = vld1q_u8(b.qs + 32 * M + 16);
         // Low nibbles are elements 4 m + i, high nibbles 16 + 4 m + i.
         sdot_lane<N, M>(s0, vreinterpretq_s8_u8(vandq_u8(w0, low4)), lo);
         sdot_lane<N, M>(s1, vreinterpretq_s8_u8(vandq_u8(w1, low4)), lo);
         sdot_lane<N, M>(s0, vreinterpretq_s8_u8(vshrq_n_u8(w0, 4)), hi);
         sdot_lane<N, M>(s1, vreinterpretq_s8_u8(vshrq_n_u8(w1, 4)), hi);
       }()),
       ...);
    }(std::make_integer_sequence<int, 4>{});
  }
};

// Q8_0: signed values, elements 4 m + i for m = 0..7.
struct PackedArmQ8_0 {
  using Block = packed::Q8_0x8;
  static constexpr bool kOffset = false;
  template <int N>
  static void dots(const Block& b, const int8x16_t (&lo)[N], const int8x16_t (&hi)[N], int32x4_t (&s0)[N],
                   int32x4_t (&s1)[N]) {
    [&]<int... M>(std::integer_sequence<int, M...>) {
      (([&] {
         sdot_lane<N, M>(s0, vld1q_s8(b.qs + 32 * M), lo);
         sdot_lane<N, M>(s1, vld1q_s8(b.qs + 32 * M + 16), lo);
         sdot_lane<N, M>(s0, vld1q_s8(b.qs + 32 * (M + 4)), hi);
         sdot_lane<N, M>(s1, vld1q_s8(b.qs + 32 * (M + 4) + 16), hi);
       }()),
       ...);
    }(std::make_integer_sequence<int, 4>{});
  }
};

// One group of 8 weight rows at row r against activation rows b .. b + N - 1.
template <class P, int N>
void packed_tile(const GemmArgs& a, int64_t r, int64_t b) {
  const auto* w = reinterpret_cast<const typename P::Block*>(a.w + size_t(r) * a.w_row_bytes);
  const Q8S* x[N];
  for (int n = 0; n < N; ++n) x[n] = reinterpret_cast<const Q8S*>(a.x + size_t(b + n) * a.x_row_bytes);
  float32x4_t acc0[N], acc1[N];  // rows 0-3 and 4-7
  for (int n = 0; n < N; ++n) acc0[n] = acc1[n] = vdupq_n_f32(0.0f);
  for (int64_t j = 0; j < a.k / L::kQK; ++j) {
    int8x16_t lo[N], hi[N];
    int32x4_t s0[N], s1[N];
    for (int n = 0; n < N; ++n) {
      lo[n] = vld1q_s8(x[n][j].qs);
      hi[n] = vld1q_s8(x[n][j].qs + 16);
      s0[n] = s1[n] = vdupq_n_s32(0);
    }
    P::template dots<N>(w[j], lo, hi, s0, s1);
    const float32x4_t d0 = halves4(w[j].d), d1 = halves4(w[j].d + 4);
    for (int n = 0; n < N; ++n) {
      if constexpr (P::kOffset) {
        const int32x4_t offset = vdupq_n_s32(packed::q8s_offset(x[n][j]));
        s0[n] = vaddq_s32(s0[n], offset);
        s1[n] = vaddq_s32(s1[n], offset);
      }
      acc0[n] = vfmaq_f32(acc0[n], vcvtq_f32_s32(s0[n]), vmulq_n_f32(d0, x[n][j].d));
      acc1[n] = vfmaq_f32(acc1[n], vcvtq_f32_s32(s1[n]), vmulq_n_f32(d1, x[n][j].d));
    }
  }
  for (int n = 0; n < N; ++n) {
    vst1q_f32(a.y + (b + n) * a.y_stride + r, acc0[n]);
    vst1q_f32(a.y + (b + n) * a.y_stride + r + 4, acc1[n]);
  }
}

template <class P>
struct LegacyTiles {
  template <int N>
  static void tile(const GemmArgs& a, int64_t r, int64_t b) { packed_tile<P, N>(a, r, b); }
};

// Runs Kernel::tile<N>(a, r, b) (one group of 8 weight rows against N <= 4 activation rows)
// over rows [r0, r1) and every activation row, activations in chunks that stay in cache.
template <class Kernel>
void packed_gemm(const GemmArgs& a, int64_t r0, int64_t r1) {
  const int64_t chunk = a.nb == 1 ? 1 : act_chunk(a.x_row_bytes);
  for (int64_t b0 = 0; b0 < a.nb; b0 += chunk) {
    const int64_t b1 = min64(b0 + chunk, a.nb);
    for (int64_t r = r0; r < r1; r += packed::kRows) {
      int64_t b = b0;
      for (; b + 4 <= b1; b += 4) Kernel::template tile<4>(a, r, b);
      switch (b1 - b) {
        case 3: Kernel::template tile<3>(a, r, b); break;
        case 2: Kernel::template tile<2>(a, r, b); break;
        case 1: Kernel::template tile<1>(a, r, b); break;
        default: break;
      }
    }
  }
}

// Q8S: Q8_0's values with its fp16 scale widened to float, and Q4_0's offsets (packed.h).
inline void quantize_q8s(const float* x, void* out, int64_t k) {
  auto* y = static_cast<Q8S*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    const Block32 b = quantize_block32(x + ib * L::kQK, y[ib].qs);
    y[ib].d = half_to_float(float_to_half(b.d));
    const int32x4_t s = b.lane_sums;
    packed::set_q8s_offsets(y[ib], vgetq_lane_s32(s, 0) + vgetq_lane_s32(s, 1), vgetq_lane_s32(s, 2) + vgetq_lane_s32(s, 3));
  }
}

}  // namespace
}  // namespace minnow::kernels::arm
