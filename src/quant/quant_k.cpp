// K-quants (256-element super-blocks): q2_K, q3_K, q4_K, q5_K, q6_K and the q8_K activation
// format. The quantizers reproduce ggml's reference search (no importance matrix) operation by
// operation: float evaluation order matters for byte-identical output, so expressions below keep
// the reference's association even where another grouping would read better.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/quant_impl.h"
#include "util/fp16.h"

namespace minnow::quant_detail {
namespace {

constexpr float kGroupMaxEps = 1e-15f;

inline int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// Asymmetric group fit x ~ scale * L + min (min <= 0) with L in 0..nmax: starts from the
// min/max grid, then tries nstep+1 stretched grids and keeps the one with the least weighted
// error (|err| when use_mad, err^2 otherwise), refitting scale and min by least squares.
// Returns the scale; *neg_min receives -min.
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float* neg_min,
                    uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0];
  float max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::memset(L, 0, size_t(n));
    *neg_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = uint8_t(clamp_int(l, 0, nmax));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest_int(iscale * (x[i] - min)), 0, nmax);
      Laux[i] = uint8_t(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        cur_error += w[i] * diff;
      }
      if (cur_error < best_error) {
        std::memcpy(L, Laux, size_t(n));
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

// Symmetric group fit for q6_K (ggml's rmse_type 1: weights x^2): L in 0..2*nmax-1 holds
// l + nmax. Tries 19 grid stretches and keeps the best least-squares scale.
float fit_symmetric_x2(int n, int nmax, const float* x, int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, size_t(n));
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = int8_t(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        L[i] = int8_t(nmax + clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Symmetric group fit for q3_K: start from the max grid, then up to 5 passes of coordinate
// descent on the weighted (x^2) least-squares objective. L receives l + nmax, or all zeros
// for an all-zero group (as ggml leaves it).
float fit_symmetric_q3(int n, int nmax, const float* x, int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, size_t(n));
    return 0.f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = int8_t(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = int8_t(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (n_changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// q4_K/q5_K pack 8 (scale, min) pairs of 6 bits into 12 bytes: pairs 0..3 sit in the low 6 bits
// of bytes 0..3 / 4..7; pairs 4..7 put their low nibbles in bytes 8..11 and their top 2 bits in
// the spare top bits of bytes 0..7.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

inline void pack_scale_min_k4(const float* scales, const float* mins, float max_scale,
                              float max_min, uint8_t* out) {
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kQK_K / 32; ++j) {
    const uint8_t ls = std::min<uint8_t>(63, uint8_t(nearest_int(inv_scale * scales[j])));
    const uint8_t lm = std::min<uint8_t>(63, uint8_t(nearest_int(inv_min * mins[j])));
    if (j < 4) {
      out[j] = ls;
      out[j + 4] = lm;
    } else {
      out[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
      out[j - 4] |= uint8_t((ls >> 4) << 6);
      out[j] |= uint8_t((lm >> 4) << 6);
    }
  }
}

// Shared first half of q4_K/q5_K: per-32 asymmetric fits, packed 6-bit scales, then every
// element re-rounded against the scales as they will actually decode.
void quantize_k4_common(const float* x, int nmax, float rmin, int nstep, uint16_t& d_out,
                        uint16_t& dmin_out, uint8_t* scales_out, uint8_t* L) {
  float mins[kQK_K / 32];
  float scales[kQK_K / 32];
  float weights[32];
  uint8_t Laux[32];
  float max_scale = 0;
  float max_min = 0;
  for (int j = 0; j < kQK_K / 32; ++j) {
    const float* xg = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xg[l] * xg[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xg[l]);
    scales[j] = fit_scale_min(32, nmax, xg, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep,
                              false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  pack_scale_min_k4(scales, mins, max_scale, max_min, scales_out);
  d_out = f32_to_fp16(max_scale / 63.f);
  dmin_out = f32_to_fp16(max_min / 63.f);
  const float d_all = fp16_to_f32(d_out);
  const float dmin_all = fp16_to_f32(dmin_out);
  for (int j = 0; j < kQK_K / 32; ++j) {
    uint8_t sc, m;
    scale_min_k4(j, scales_out, sc, m);
    const float d = d_all * sc;
    if (d == 0.0f) continue;
    const float dm = dmin_all * m;
    for (int ii = 0; ii < 32; ++ii) {
      L[32 * j + ii] = uint8_t(clamp_int(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax));
    }
  }
}

// 2-bit planes used by q2_K and q3_K: byte l of each 32-byte chunk holds elements l, l+32,
// l+64, l+96 of the chunk's 128 elements.
inline void pack_2bit_planes(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                              (L[j + l + 96] << 6));
    }
  }
}

}  // namespace

// ---- q2_K ----

void quantize_q2_K(const float* x, block_q2_K* y, int64_t n) {
  constexpr float kQ4Scale = 15.f;
  uint8_t L[kQK_K];
  uint8_t Laux[16];
  float weights[16];
  float mins[kQK_K / 16];
  float scales[kQK_K / 16];
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q2_K& out = y[b];
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < kQK_K / 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = fit_scale_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f,
                                0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = kQ4Scale / max_scale;
      for (int j = 0; j < kQK_K / 16; ++j) out.scales[j] = uint8_t(nearest_int(iscale * scales[j]));
      out.d = f32_to_fp16(max_scale / kQ4Scale);
    } else {
      std::memset(out.scales, 0, sizeof out.scales);
      out.d = f32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = kQ4Scale / max_min;
      for (int j = 0; j < kQK_K / 16; ++j) {
        out.scales[j] = uint8_t(out.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      }
      out.dmin = f32_to_fp16(max_min / kQ4Scale);
    } else {
      out.dmin = f32_to_fp16(0.f);
    }
    const float d_all = fp16_to_f32(out.d);
    const float dmin_all = fp16_to_f32(out.dmin);
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float d = d_all * (out.scales[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = dmin_all * (out.scales[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        L[16 * j + ii] = uint8_t(clamp_int(nearest_int((x[16 * j + ii] + dm) / d), 0, 3));
      }
    }
    pack_2bit_planes(L, out.qs);
  }
}

void dequantize_q2_K(const block_q2_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const float min = fp16_to_f32(x[b].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      const int plane = (e % 128) / 32;
      const int q = (x[b].qs[(e / 128) * 32 + e % 32] >> (2 * plane)) & 3;
      const uint8_t sc = x[b].scales[e / 16];
      const float dl = d * (sc & 0xF);
      const float ml = min * (sc >> 4);
      *y++ = dl * q - ml;
    }
  }
}

// ---- q3_K ----

namespace {
inline int q3_scale(const uint8_t* s, int j) {
  const int low = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
  const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}
}  // namespace

void quantize_q3_K(const float* x, block_q3_K* y, int64_t n) {
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q3_K& out = y[b];
    float max_scale = 0;
    float amax = 0;
    for (int j = 0; j < kQK_K / 16; ++j) {
      scales[j] = fit_symmetric_q3(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    std::memset(out.scales, 0, sizeof out.scales);
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < kQK_K / 16; ++j) {
        const int l = clamp_int(int8_t(nearest_int(iscale * scales[j])), -32, 31) + 32;
        if (j < 8) {
          out.scales[j] = uint8_t(l & 0xF);
        } else {
          out.scales[j - 8] = uint8_t(out.scales[j - 8] | ((l & 0xF) << 4));
        }
        out.scales[j % 4 + 8] = uint8_t(out.scales[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
      }
      out.d = f32_to_fp16(1 / iscale);
    } else {
      out.d = f32_to_fp16(0.f);
    }
    const float d_all = fp16_to_f32(out.d);
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float d = d_all * int8_t(q3_scale(out.scales, j));
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        L[16 * j + ii] = int8_t(clamp_int(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
      }
    }
    // High bit of element e goes to bit e/32 of hmask[e%32].
    std::memset(out.hmask, 0, sizeof out.hmask);
    uint8_t low2[kQK_K];
    for (int e = 0; e < kQK_K; ++e) {
      int v = L[e];
      if (v > 3) {
        out.hmask[e % 32] = uint8_t(out.hmask[e % 32] | (1 << (e / 32)));
        v -= 4;
      }
      low2[e] = uint8_t(v);
    }
    pack_2bit_planes(low2, out.qs);
  }
}

void dequantize_q3_K(const block_q3_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d_all = fp16_to_f32(x[b].d);
    for (int e = 0; e < kQK_K; ++e) {
      const int plane = (e % 128) / 32;
      const int q = (x[b].qs[(e / 128) * 32 + e % 32] >> (2 * plane)) & 3;
      const bool high = (x[b].hmask[e % 32] >> (e / 32)) & 1;
      const float dl = d_all * q3_scale(x[b].scales, e / 16);
      *y++ = dl * (q - (high ? 0 : 4));
    }
  }
}

// ---- q4_K ----

void quantize_q4_K(const float* x, block_q4_K* y, int64_t n) {
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q4_K& out = y[b];
    quantize_k4_common(x, 15, -1.f, 20, out.d, out.dmin, out.scales, L);
    for (int j = 0; j < kQK_K; j += 64) {
      for (int l = 0; l < 32; ++l) out.qs[j / 2 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
    }
  }
}

void dequantize_q4_K(const block_q4_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const float min = fp16_to_f32(x[b].dmin);
    const uint8_t* q = x[b].qs;
    for (int g = 0; g < kQK_K / 32; g += 2, q += 32) {
      uint8_t sc, m;
      scale_min_k4(g, x[b].scales, sc, m);
      const float d1 = d * sc, m1 = min * m;
      scale_min_k4(g + 1, x[b].scales, sc, m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

// ---- q5_K ----

void quantize_q5_K(const float* x, block_q5_K* y, int64_t n) {
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q5_K& out = y[b];
    quantize_k4_common(x, 31, -0.5f, 15, out.d, out.dmin, out.scales, L);
    std::memset(out.qh, 0, sizeof out.qh);
    uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < kQK_K; j += 64) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l];
        if (l1 > 15) {
          l1 -= 16;
          out.qh[l] |= m1;
        }
        int l2 = L[j + l + 32];
        if (l2 > 15) {
          l2 -= 16;
          out.qh[l] |= m2;
        }
        out.qs[j / 2 + l] = uint8_t(l1 | (l2 << 4));
      }
      m1 = uint8_t(m1 << 2);
      m2 = uint8_t(m2 << 2);
    }
  }
}

void dequantize_q5_K(const block_q5_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const float min = fp16_to_f32(x[b].dmin);
    const uint8_t* ql = x[b].qs;
    const uint8_t* qh = x[b].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int g = 0; g < kQK_K / 32; g += 2, ql += 32) {
      uint8_t sc, m;
      scale_min_k4(g, x[b].scales, sc, m);
      const float d1 = d * sc, m1 = min * m;
      scale_min_k4(g + 1, x[b].scales, sc, m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      u1 = uint8_t(u1 << 2);
      u2 = uint8_t(u2 << 2);
    }
  }
}

// ---- q6_K ----

void quantize_q6_K(const float* x, block_q6_K* y, int64_t n) {
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q6_K& out = y[b];
    float max_scale = 0;
    float max_abs_scale = 0;
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      scales[ib] = fit_symmetric_x2(16, 32, x + 16 * ib, L + 16 * ib);
      const float abs_scale = std::fabs(scales[ib]);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scales[ib];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&out, 0, sizeof out);
      continue;
    }
    const float iscale = -128.f / max_scale;
    out.d = f32_to_fp16(1 / iscale);
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      out.scales[ib] = int8_t(std::min(127, nearest_int(iscale * scales[ib])));
    }
    const float d_all = fp16_to_f32(out.d);
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float d = d_all * out.scales[j];
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        L[16 * j + ii] = int8_t(clamp_int(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
      }
    }
    uint8_t* ql = out.ql;
    uint8_t* qh = out.qh;
    for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t* v = reinterpret_cast<const uint8_t*>(L) + j + l;
        ql[l] = uint8_t((v[0] & 0xF) | ((v[64] & 0xF) << 4));
        ql[l + 32] = uint8_t((v[32] & 0xF) | ((v[96] & 0xF) << 4));
        qh[l] = uint8_t((v[0] >> 4) | ((v[32] >> 4) << 2) | ((v[64] >> 4) << 4) | ((v[96] >> 4) << 6));
      }
    }
  }
}

void dequantize_q6_K(const block_q6_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const uint8_t* ql = x[b].ql;
    const uint8_t* qh = x[b].qh;
    const int8_t* sc = x[b].scales;
    for (int c = 0; c < kQK_K; c += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

// ---- q8_K ----

void quantize_q8_K(const float* x, block_q8_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q8_K& out = y[b];
    float max = 0;
    float amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&out, 0, sizeof out);  // ggml leaves bsums unset here; zero is what they sum to
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j) out.qs[j] = int8_t(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int ii = 0; ii < 16; ++ii) sum += out.qs[16 * j + ii];
      out.bsums[j] = int16_t(sum);
    }
    out.d = 1 / iscale;
  }
}

void dequantize_q8_K(const block_q8_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    for (int j = 0; j < kQK_K; ++j) *y++ = x[b].d * x[b].qs[j];
  }
}

}  // namespace minnow::quant_detail
