#pragma once
// aarch64 GEMM for the K-quants (Q2_K..Q6_K) against Q8_K activations.
//
// A 256-element super-block is read as 8 chunks of 32 int8 values (signed where the format
// stores q - offset: Q3_K, Q6_K), with integer scales per group of 16 (Q2_K, Q3_K, Q6_K) or
// of 32 (Q4_K, Q5_K) and, for the types with mins, one integer min per group of 16:
//   dot = d * dx * sum_g scale_g * sum_g(q * x)  -  dmin * dx * sum_g min_g * bsum_g
// exactly the integer sums of the reference. Integer sums stay in int32 per super-block (the
// largest, Q6_K: 16 groups * 16 * 32 * 127 * 128 < 2^31).
// Include after arm_common.h and the Isa definition.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

// One row's super-block scales, unpacked: per group (16 entries; per-32 types use 8), mins per
// group of 16 (zero for types without mins), d and dmin as halves.
struct KScales {
  int16_t scale[16];
  int16_t min[16];
  uint16_t d, dmin;
};

inline uint8x16_t two_bits(uint8x16_t v, int plane) {
  return vandq_u8(vshlq_u8(v, vdupq_n_s8(int8_t(-2 * plane))), vdupq_n_u8(3));
}

// `value` in bytes whose bit `bit` is set, else 0.
inline uint8x16_t bit_to_value(uint8x16_t bits, int bit, uint8_t value) {
  return vandq_u8(vtstq_u8(bits, vdupq_n_u8(uint8_t(1u << bit))), vdupq_n_u8(value));
}

inline int8x16_t as_s8(uint8x16_t v) { return vreinterpretq_s8_u8(v); }

// Each type: Block, kPer16, kMins, prepare(block, scales), chunk(block, c, q[2]) for c < 8.
struct KTypeQ2_K {
  using Block = L::Q2_K;
  static constexpr bool kPer16 = true, kMins = true;
  static void prepare(const Block& b, KScales& s) {
    for (int g = 0; g < 16; ++g) {
      s.scale[g] = int16_t(b.scales[g] & 0xF);
      s.min[g] = int16_t(b.scales[g] >> 4);
    }
    s.d = b.d;
    s.dmin = b.dmin;
  }
  static void chunk(const Block& b, int c, int8x16_t q[2]) {
    const uint8_t* p = b.qs + 32 * (c / 4);
    q[0] = as_s8(two_bits(vld1q_u8(p), c % 4));
    q[1] = as_s8(two_bits(vld1q_u8(p + 16), c % 4));
  }
};

struct KTypeQ3_K {
  using Block = L::Q3_K;
  static constexpr bool kPer16 = true, kMins = false;
  static void prepare(const Block& b, KScales& s) {
    int8_t sc[16];
    L::unpack_scales_q3_k(b.scales, sc);
    for (int g = 0; g < 16; ++g) {
      s.scale[g] = sc[g];
      s.min[g] = 0;
    }
    s.d = b.d;
    s.dmin = 0;
  }
  static void chunk(const Block& b, int c, int8x16_t q[2]) {
    const uint8_t* p = b.qs + 32 * (c / 4);
    const int8x16_t four = vdupq_n_s8(4);
    for (int h = 0; h < 2; ++h) {
      const uint8x16_t v = vorrq_u8(two_bits(vld1q_u8(p + 16 * h), c % 4), bit_to_value(vld1q_u8(b.hmask + 16 * h), c, 4));
      q[h] = vsubq_s8(as_s8(v), four);
    }
  }
};

inline void prepare_k4(const uint8_t* packed, uint16_t d, uint16_t dmin, KScales& s) {
  const L::ScalesMins8 sm = L::unpack_scales_mins_k4(packed);
  for (int j = 0; j < 8; ++j) {
    s.scale[j] = sm.scales[j];
    s.scale[8 + j] = 0;
    s.min[2 * j] = s.min[2 * j + 1] = sm.mins[j];
  }
  s.d = d;
  s.dmin = dmin;
}

inline uint8x16_t nibble(uint8x16_t v, bool high) {
  return high ? vshrq_n_u8(v, 4) : vandq_u8(v, vdupq_n_u8(0x0F));
}

struct KTypeQ4_K {
  using Block = L::Q4_K;
  static constexpr bool kPer16 = false, kMins = true;
  static void prepare(const Block& b, KScales& s) { prepare_k4(b.scales, b.d, b.dmin, s); }
  static void chunk(const Block& b, int c, int8x16_t q[2]) {
    const uint8_t* p = b.qs + 32 * (c / 2);
    q[0] = as_s8(nibble(vld1q_u8(p), c & 1));
    q[1] = as_s8(nibble(vld1q_u8(p + 16), c & 1));
  }
};

struct KTypeQ5_K {
  using Block = L::Q5_K;
  static constexpr bool kPer16 = false, kMins = true;
  static void prepare(const Block& b, KScales& s) { prepare_k4(b.scales, b.d, b.dmin, s); }
  static void chunk(const Block& b, int c, int8x16_t q[2]) {
    const uint8_t* p = b.qs + 32 * (c / 2);
    for (int h = 0; h < 2; ++h)
      q[h] = as_s8(vorrq_u8(nibble(vld1q_u8(p + 16 * h), c & 1), bit_to_value(vld1q_u8(b.qh + 16 * h), c, 16)));
  }
};

struct KTypeQ6_K {
  using Block = L::Q6_K;
  static constexpr bool kPer16 = true, kMins = false;
  static void prepare(const Block& b, KScales& s) {
    for (int g = 0; g < 16; ++g) {
      s.scale[g] = b.scales[g];
      s.min[g] = 0;
    }
    s.d = b.d;
    s.dmin = 0;
  }
  // Chunk 4*half + j: low (j < 2) or high nibbles of ql[64*half + 32*(j&1) ...], top two bits
  // from bits 2j, 2j+1 of qh[32*half ...].
  static void chunk(const Block& b, int c, int8x16_t q[2]) {
    const int half = c / 4, j = c % 4;
    const uint8_t* ql = b.ql + 64 * half + 32 * (j & 1);
    const uint8_t* qh = b.qh + 32 * half;
    const int8x16_t shift = vdupq_n_s8(int8_t(4 - 2 * j));
    for (int h = 0; h < 2; ++h) {
      const uint8x16_t top = vandq_u8(vshlq_u8(vld1q_u8(qh + 16 * h), shift), vdupq_n_u8(0x30));
      q[h] = vsubq_s8(as_s8(vorrq_u8(nibble(vld1q_u8(ql + 16 * h), j >= 2), top)), vdupq_n_s8(32));
    }
  }
};

// sum_g min_g * bsums_g as int32x4 partial sums.
inline int32x4_t mins_dot(const int16_t min[16], const L::Q8_K& x) {
  const int16x8_t m0 = vld1q_s16(min), m1 = vld1q_s16(min + 8);
  const int16x8_t s0 = vld1q_s16(x.bsums), s1 = vld1q_s16(x.bsums + 8);
  int32x4_t p = vmull_s16(vget_low_s16(m0), vget_low_s16(s0));
  p = vmlal_high_s16(p, m0, s0);
  p = vmlal_s16(p, vget_low_s16(m1), vget_low_s16(s1));
  return vmlal_high_s16(p, m1, s1);
}

template <class Isa, class T>
struct KTile {
  static constexpr bool kMmla = true;
  using Block = typename T::Block;
  static constexpr int kGroups = T::kPer16 ? 16 : 8;

  template <int R, int N>
  static void dot(const GemmArgs& a, int64_t r, int64_t b) {
    const uint8_t* w[R];
    const uint8_t* x[N];
    row_pointers(a.w, a.w_row_bytes, r, R, w);
    row_pointers(a.x, a.x_row_bytes, b, N, x);
    float32x4_t acc[N];
    for (int j = 0; j < N; ++j) acc[j] = vdupq_n_f32(0.0f);
    const int64_t blocks = a.k / L::kQKK;
    for (int64_t s = 0; s < blocks; ++s) {
      const Block* blk[R];
      KScales ks[R];
      uint16_t dh[4] = {0, 0, 0, 0}, dminh[4] = {0, 0, 0, 0};
      int32_t sct[kGroups][4] = {};  // scale of group g for row i (lanes = rows)
      for (int i = 0; i < R; ++i) {
        blk[i] = &block_at<Block>(w[i], s);
        T::prepare(*blk[i], ks[i]);
        dh[i] = ks[i].d;
        dminh[i] = ks[i].dmin;
        for (int g = 0; g < kGroups; ++g) sct[g][i] = ks[i].scale[g];
      }
      const L::Q8_K* xb[N];
      int32x4_t isum[N];
      for (int j = 0; j < N; ++j) {
        xb[j] = &block_at<L::Q8_K>(x[j], s);
        isum[j] = vdupq_n_s32(0);
      }
      for (int c = 0; c < 8; ++c) {
        int8x16_t wq[R][2];
        for (int i = 0; i < R; ++i) T::chunk(*blk[i], c, wq[i]);
        for (int j = 0; j < N; ++j) {
          const int8x16_t x0 = vld1q_s8(xb[j]->qs + 32 * c), x1 = vld1q_s8(xb[j]->qs + 32 * c + 16);
          if constexpr (T::kPer16) {
            int32x4_t p0[R], p1[R];
            for (int i = 0; i < R; ++i) {
              p0[i] = Isa::dot16(vdupq_n_s32(0), wq[i][0], x0);
              p1[i] = Isa::dot16(vdupq_n_s32(0), wq[i][1], x1);
            }
            isum[j] = vmlaq_s32(isum[j], reduce_rows(p0), vld1q_s32(sct[2 * c]));
            isum[j] = vmlaq_s32(isum[j], reduce_rows(p1), vld1q_s32(sct[2 * c + 1]));
          } else {
            int32x4_t p[R];
            for (int i = 0; i < R; ++i) p[i] = Isa::dot16(Isa::dot16(vdupq_n_s32(0), wq[i][0], x0), wq[i][1], x1);
            isum[j] = vmlaq_s32(isum[j], reduce_rows(p), vld1q_s32(sct[c]));
          }
        }
      }
      const float32x4_t dw = halves4(dh);
      for (int j = 0; j < N; ++j) {
        acc[j] = vfmaq_f32(acc[j], vcvtq_f32_s32(isum[j]), vmulq_n_f32(dw, xb[j]->d));
        if constexpr (T::kMins) {
          int32x4_t p[R];
          for (int i = 0; i < R; ++i) p[i] = mins_dot(ks[i].min, *xb[j]);
          acc[j] = vfmsq_f32(acc[j], vcvtq_f32_s32(reduce_rows(p)), vmulq_n_f32(halves4(dminh), xb[j]->d));
        }
      }
    }
    for (int j = 0; j < N; ++j) {
      float* y = a.y + (b + j) * a.y_stride + r;
      if (R == 4) vst1q_f32(y, acc[j]);
      else store_lanes(acc[j], y, 1, R);
    }
  }

  template <int RP, int NP>
  static void mmla(const GemmArgs& a, int64_t r, int nr, int64_t b, int nbv) {
    const uint8_t* w[2 * RP];
    const uint8_t* x[2 * NP];
    row_pointers(a.w, a.w_row_bytes, r, nr, w);
    row_pointers(a.x, a.x_row_bytes, b, nbv, x);
    float32x4_t acc[RP][NP];
    for (int p = 0; p < RP; ++p)
      for (int q = 0; q < NP; ++q) acc[p][q] = vdupq_n_f32(0.0f);
    const int64_t blocks = a.k / L::kQKK;
    for (int64_t s = 0; s < blocks; ++s) {
      const Block* blk[2 * RP];
      KScales ks[2 * RP];
      int32_t scp[RP][kGroups][4];  // [r0, r0, r1, r1] scales of group g for row pair p
      for (int i = 0; i < 2 * RP; ++i) {
        blk[i] = &block_at<Block>(w[i], s);
        T::prepare(*blk[i], ks[i]);
      }
      for (int p = 0; p < RP; ++p)
        for (int g = 0; g < kGroups; ++g) {
          scp[p][g][0] = scp[p][g][1] = ks[2 * p].scale[g];
          scp[p][g][2] = scp[p][g][3] = ks[2 * p + 1].scale[g];
        }
      const L::Q8_K* xb[2 * NP];
      for (int j = 0; j < 2 * NP; ++j) xb[j] = &block_at<L::Q8_K>(x[j], s);
      int32x4_t isum[RP][NP];
      for (int p = 0; p < RP; ++p)
        for (int q = 0; q < NP; ++q) isum[p][q] = vdupq_n_s32(0);
      for (int c = 0; c < 8; ++c) {
        int8x16_t wz[RP][4];
        for (int p = 0; p < RP; ++p) {
          int8x16_t q0[2], q1[2];
          T::chunk(*blk[2 * p], c, q0);
          T::chunk(*blk[2 * p + 1], c, q1);
          interleave32(q0, q1, wz[p]);
        }
        for (int q = 0; q < NP; ++q) {
          const int8_t* a0 = xb[2 * q]->qs + 32 * c;
          const int8_t* a1 = xb[2 * q + 1]->qs + 32 * c;
          const int8x16_t v0[2] = {vld1q_s8(a0), vld1q_s8(a0 + 16)};
          const int8x16_t v1[2] = {vld1q_s8(a1), vld1q_s8(a1 + 16)};
          int8x16_t xz[4];
          interleave32(v0, v1, xz);
          for (int p = 0; p < RP; ++p) {
            const int32x4_t zero = vdupq_n_s32(0);
            if constexpr (T::kPer16) {
              const int32x4_t s0 = Isa::mmla(Isa::mmla(zero, wz[p][0], xz[0]), wz[p][1], xz[1]);
              const int32x4_t s1 = Isa::mmla(Isa::mmla(zero, wz[p][2], xz[2]), wz[p][3], xz[3]);
              isum[p][q] = vmlaq_s32(isum[p][q], s0, vld1q_s32(scp[p][2 * c]));
              isum[p][q] = vmlaq_s32(isum[p][q], s1, vld1q_s32(scp[p][2 * c + 1]));
            } else {
              int32x4_t s4 = zero;
              for (int k = 0; k < 4; ++k) s4 = Isa::mmla(s4, wz[p][k], xz[k]);
              isum[p][q] = vmlaq_s32(isum[p][q], s4, vld1q_s32(scp[p][c]));
            }
          }
        }
      }
      for (int p = 0; p < RP; ++p) {
        const KScales& k0 = ks[2 * p];
        const KScales& k1 = ks[2 * p + 1];
        const uint16_t dh[4] = {k0.d, k0.d, k1.d, k1.d}, dminh[4] = {k0.dmin, k0.dmin, k1.dmin, k1.dmin};
        const float32x4_t dw = halves4(dh), dminw = halves4(dminh);
        for (int q = 0; q < NP; ++q) {
          const L::Q8_K& x0 = *xb[2 * q];
          const L::Q8_K& x1 = *xb[2 * q + 1];
          const float dxv[4] = {x0.d, x1.d, x0.d, x1.d};
          const float32x4_t dx = vld1q_f32(dxv);
          acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(isum[p][q]), vmulq_f32(dw, dx));
          if constexpr (T::kMins) {
            const int32x4_t summ = reduce4(mins_dot(k0.min, x0), mins_dot(k0.min, x1), mins_dot(k1.min, x0),
                                           mins_dot(k1.min, x1));
            acc[p][q] = vfmsq_f32(acc[p][q], vcvtq_f32_s32(summ), vmulq_f32(dminw, dx));
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
