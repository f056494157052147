// Scalar reference kernels: the plain integer dot products of ggml's generic vec_dot_*_q8_*
// (same activation formats, same integer sums), so the SIMD tables can be checked tightly.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/layout.h"
#include "util/fp16.h"

namespace minnow::kernels {
namespace {

namespace L = layout;

// ---- activation quantizers ----------------------------------------------------------------

void act_f32(const float* x, void* out, int64_t k) { std::memcpy(out, x, size_t(k) * sizeof(float)); }

void act_f16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  for (int64_t i = 0; i < k; ++i) y[i] = f32_to_fp16(x[i]);
}

void act_bf16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  for (int64_t i = 0; i < k; ++i) y[i] = f32_to_bf16(x[i]);
}

float block_amax(const float* x, int n) {
  float amax = 0.0f;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// Q8_0 / Q8_1 rounding as llama.cpp's SIMD quantizer for this architecture (what the oracle
// runs here): the multiplier is 127/amax on x86 but 1/(amax/127) on ARM NEON (two roundings),
// and rounding is to nearest even on both.
int8_t q8_round(float v) { return int8_t(std::nearbyint(v)); }

float q8_multiplier(float amax) {
#if defined(__aarch64__)
  const float d = amax / 127.0f;
  return d != 0.0f ? 1.0f / d : 0.0f;
#else
  return amax != 0.0f ? 127.0f / amax : 0.0f;
#endif
}

void act_q8_0(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_0*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib, x += L::kQK) {
    const float amax = block_amax(x, L::kQK);
    y[ib].d = f32_to_fp16(amax / 127.0f);
    const float id = q8_multiplier(amax);
    for (int j = 0; j < L::kQK; ++j) y[ib].qs[j] = q8_round(x[j] * id);
  }
}

void act_q8_1(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_1*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib, x += L::kQK) {
    const float amax = block_amax(x, L::kQK);
    const float d = amax / 127.0f;
    y[ib].d = f32_to_fp16(d);
    const float id = q8_multiplier(amax);
    int sum = 0;
    for (int j = 0; j < L::kQK; ++j) {
      y[ib].qs[j] = q8_round(x[j] * id);
      sum += y[ib].qs[j];
    }
    y[ib].s = f32_to_fp16(d * float(sum));
  }
}

// Q8_K as ggml's quantize_row_q8_K_ref (used on every ggml CPU backend): scale from the
// signed element of largest magnitude (first one on ties), round to nearest even.
void act_q8_k(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_K*>(out);
  for (int64_t ib = 0; ib < k / L::kQKK; ++ib, x += L::kQKK) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < L::kQKK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    L::Q8_K& b = y[ib];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < L::kQKK; ++j) b.qs[j] = int8_t(std::min(127, int(std::nearbyint(iscale * x[j]))));
    for (int g = 0; g < L::kQKK / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += b.qs[g * 16 + j];
      b.bsums[g] = int16_t(sum);
    }
    b.d = 1.0f / iscale;
  }
}

// ---- dot products of one weight row with one activation row -------------------------------

float dot_f32(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const float*>(w);
  const auto* b = reinterpret_cast<const float*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < k; ++i) sum += double(a[i]) * double(b[i]);
  return float(sum);
}

float dot_f16(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const uint16_t*>(w);
  const auto* b = reinterpret_cast<const uint16_t*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < k; ++i) sum += double(fp16_to_f32(a[i])) * double(fp16_to_f32(b[i]));
  return float(sum);
}

float dot_bf16(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const uint16_t*>(w);
  const auto* b = reinterpret_cast<const uint16_t*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < k; ++i) sum += double(bf16_to_f32(a[i])) * double(bf16_to_f32(b[i]));
  return float(sum);
}

float dot_q4_0(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const L::Q4_0*>(w);
  const auto* b = reinterpret_cast<const L::Q8_0*>(x);
  float sum = 0.0f;
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    int sumi = 0;
    for (int j = 0; j < L::kQK / 2; ++j) {
      sumi += ((a[ib].qs[j] & 0xF) - 8) * b[ib].qs[j];
      sumi += ((a[ib].qs[j] >> 4) - 8) * b[ib].qs[j + L::kQK / 2];
    }
    sum += float(sumi) * fp16_to_f32(a[ib].d) * fp16_to_f32(b[ib].d);
  }
  return sum;
}

float dot_q4_1(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const L::Q4_1*>(w);
  const auto* b = reinterpret_cast<const L::Q8_1*>(x);
  float sum = 0.0f;
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    int sumi = 0;
    for (int j = 0; j < L::kQK / 2; ++j) {
      sumi += (a[ib].qs[j] & 0xF) * b[ib].qs[j];
      sumi += (a[ib].qs[j] >> 4) * b[ib].qs[j + L::kQK / 2];
    }
    sum += fp16_to_f32(a[ib].d) * fp16_to_f32(b[ib].d) * float(sumi) +
           fp16_to_f32(a[ib].m) * fp16_to_f32(b[ib].s);
  }
  return sum;
}

// The 5-bit value j (0..31) of a Q5 block: low nibble from qs, fifth bit from qh.
int q5_value(const uint8_t* qs, const uint8_t* qh_bytes, int j) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  const int nibble = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
  return nibble | int((qh >> j) & 1) << 4;
}

float dot_q5_0(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const L::Q5_0*>(w);
  const auto* b = reinterpret_cast<const L::Q8_0*>(x);
  float sum = 0.0f;
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    int sumi = 0;
    for (int j = 0; j < L::kQK; ++j) sumi += (q5_value(a[ib].qs, a[ib].qh, j) - 16) * b[ib].qs[j];
    sum += fp16_to_f32(a[ib].d) * fp16_to_f32(b[ib].d) * float(sumi);
  }
  return sum;
}

float dot_q5_1(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const L::Q5_1*>(w);
  const auto* b = reinterpret_cast<const L::Q8_1*>(x);
  float sum = 0.0f;
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    int sumi = 0;
    for (int j = 0; j < L::kQK; ++j) sumi += q5_value(a[ib].qs, a[ib].qh, j) * b[ib].qs[j];
    sum += fp16_to_f32(a[ib].d) * fp16_to_f32(b[ib].d) * float(sumi) +
           fp16_to_f32(a[ib].m) * fp16_to_f32(b[ib].s);
  }
  return sum;
}

float dot_q8_0(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const L::Q8_0*>(w);
  const auto* b = reinterpret_cast<const L::Q8_0*>(x);
  float sum = 0.0f;
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    int sumi = 0;
    for (int j = 0; j < L::kQK; ++j) sumi += a[ib].qs[j] * b[ib].qs[j];
    sum += float(sumi) * (fp16_to_f32(a[ib].d) * fp16_to_f32(b[ib].d));
  }
  return sum;
}

// K-quants: each super-block of 256 is decoded to integer weights q[256] and per-16 integer
// scales; the dot is d*dx*sum_g(scale_g * sum(q*x over group g)) - dmin*dx*sum_g(min_g*bsum_g).
struct KBlockInts {
  int8_t q[L::kQKK];
  int16_t scale[16];  // per group of 16
  int16_t min[16];    // per group of 16 (zero for types without mins)
  float d = 0.0f, dmin = 0.0f;
};

float dot_kblock(const KBlockInts& w, const L::Q8_K& x) {
  int sumi = 0, summ = 0;
  for (int g = 0; g < 16; ++g) {
    int s = 0;
    for (int j = 0; j < 16; ++j) s += w.q[g * 16 + j] * x.qs[g * 16 + j];
    sumi += w.scale[g] * s;
    summ += w.min[g] * x.bsums[g];
  }
  return w.d * x.d * float(sumi) - w.dmin * x.d * float(summ);
}

void decode_q2_k(const L::Q2_K& b, KBlockInts& out) {
  for (int g = 0; g < 16; ++g) {
    out.scale[g] = int16_t(b.scales[g] & 0xF);
    out.min[g] = int16_t(b.scales[g] >> 4);
  }
  // Each 128-half stores 4 groups of 32 in the 2-bit planes of 32 bytes.
  for (int half = 0; half < 2; ++half)
    for (int plane = 0; plane < 4; ++plane)
      for (int l = 0; l < 32; ++l)
        out.q[half * 128 + plane * 32 + l] = int8_t((b.qs[half * 32 + l] >> (2 * plane)) & 3);
  out.d = fp16_to_f32(b.d);
  out.dmin = fp16_to_f32(b.dmin);
}

void decode_q3_k(const L::Q3_K& b, KBlockInts& out) {
  int8_t sc[16];
  L::unpack_scales_q3_k(b.scales, sc);
  for (int g = 0; g < 16; ++g) {
    out.scale[g] = sc[g];
    out.min[g] = 0;
  }
  for (int half = 0; half < 2; ++half)
    for (int plane = 0; plane < 4; ++plane)
      for (int l = 0; l < 32; ++l) {
        const int i = half * 128 + plane * 32 + l;
        const int low = (b.qs[half * 32 + l] >> (2 * plane)) & 3;
        const bool high = (b.hmask[l] >> (half * 4 + plane)) & 1;
        out.q[i] = int8_t(low - (high ? 0 : 4));
      }
  out.d = fp16_to_f32(b.d);
  out.dmin = 0.0f;
}

void decode_q4_k(const L::Q4_K& b, KBlockInts& out) {
  const L::ScalesMins8 sm = L::unpack_scales_mins_k4(b.scales);
  for (int g = 0; g < 16; ++g) {
    out.scale[g] = sm.scales[g / 2];
    out.min[g] = sm.mins[g / 2];
  }
  for (int pair = 0; pair < 4; ++pair)
    for (int l = 0; l < 32; ++l) {
      out.q[pair * 64 + l] = int8_t(b.qs[pair * 32 + l] & 0xF);
      out.q[pair * 64 + 32 + l] = int8_t(b.qs[pair * 32 + l] >> 4);
    }
  out.d = fp16_to_f32(b.d);
  out.dmin = fp16_to_f32(b.dmin);
}

void decode_q5_k(const L::Q5_K& b, KBlockInts& out) {
  const L::ScalesMins8 sm = L::unpack_scales_mins_k4(b.scales);
  for (int g = 0; g < 16; ++g) {
    out.scale[g] = sm.scales[g / 2];
    out.min[g] = sm.mins[g / 2];
  }
  for (int pair = 0; pair < 4; ++pair)
    for (int l = 0; l < 32; ++l) {
      const int hi0 = (b.qh[l] >> (2 * pair)) & 1, hi1 = (b.qh[l] >> (2 * pair + 1)) & 1;
      out.q[pair * 64 + l] = int8_t((b.qs[pair * 32 + l] & 0xF) | hi0 << 4);
      out.q[pair * 64 + 32 + l] = int8_t((b.qs[pair * 32 + l] >> 4) | hi1 << 4);
    }
  out.d = fp16_to_f32(b.d);
  out.dmin = fp16_to_f32(b.dmin);
}

void decode_q6_k(const L::Q6_K& b, KBlockInts& out) {
  for (int g = 0; g < 16; ++g) {
    out.scale[g] = b.scales[g];
    out.min[g] = 0;
  }
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + half * 64;
    const uint8_t* qh = b.qh + half * 32;
    int8_t* q = out.q + half * 128;
    for (int l = 0; l < 32; ++l) {
      q[l] = int8_t(((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32);
      q[l + 32] = int8_t(((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32);
      q[l + 64] = int8_t(((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
      q[l + 96] = int8_t(((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
    }
  }
  out.d = fp16_to_f32(b.d);
  out.dmin = 0.0f;
}

template <typename Block, void (*Decode)(const Block&, KBlockInts&)>
float dot_k(const uint8_t* w, const uint8_t* x, int64_t k) {
  const auto* a = reinterpret_cast<const Block*>(w);
  const auto* b = reinterpret_cast<const L::Q8_K*>(x);
  float sum = 0.0f;
  KBlockInts ints;
  for (int64_t ib = 0; ib < k / L::kQKK; ++ib) {
    Decode(a[ib], ints);
    sum += dot_kblock(ints, b[ib]);
  }
  return sum;
}

// ---- GEMM over a row range ------------------------------------------------------------------

using DotFn = float (*)(const uint8_t* w, const uint8_t* x, int64_t k);

template <DotFn Dot>
void gemm_rows(const GemmArgs& a, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < a.nb; ++b)
      a.y[b * a.y_stride + r] = Dot(a.w + size_t(r) * a.w_row_bytes, a.x + size_t(b) * a.x_row_bytes, a.k);
}

void silu_mul(float* g, const float* u, int64_t n) {
  for (int64_t i = 0; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

}  // namespace

void softmax_reference(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = float(1.0 / sum);  // as ggml: the sum in double, the scale in float
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

namespace {

constexpr KernelTable make_reference_table() {
  KernelTable t{};
  t.isa = "scalar";
  t.silu_mul = silu_mul;
  t.softmax = softmax_reference;
  auto set = [&t](DType w, DType act, ActQuantFn q, GemmFn g) {
    t.types[static_cast<uint32_t>(w)] = TypeKernels{act, q, g};
  };
  set(DType::F32, DType::F32, act_f32, gemm_rows<dot_f32>);
  set(DType::F16, DType::F16, act_f16, gemm_rows<dot_f16>);
  set(DType::BF16, DType::BF16, act_bf16, gemm_rows<dot_bf16>);
  set(DType::Q4_0, DType::Q8_0, act_q8_0, gemm_rows<dot_q4_0>);
  set(DType::Q4_1, DType::Q8_1, act_q8_1, gemm_rows<dot_q4_1>);
  set(DType::Q5_0, DType::Q8_0, act_q8_0, gemm_rows<dot_q5_0>);
  set(DType::Q5_1, DType::Q8_1, act_q8_1, gemm_rows<dot_q5_1>);
  set(DType::Q8_0, DType::Q8_0, act_q8_0, gemm_rows<dot_q8_0>);
  set(DType::Q2_K, DType::Q8_K, act_q8_k, gemm_rows<dot_k<L::Q2_K, decode_q2_k>>);
  set(DType::Q3_K, DType::Q8_K, act_q8_k, gemm_rows<dot_k<L::Q3_K, decode_q3_k>>);
  set(DType::Q4_K, DType::Q8_K, act_q8_k, gemm_rows<dot_k<L::Q4_K, decode_q4_k>>);
  set(DType::Q5_K, DType::Q8_K, act_q8_k, gemm_rows<dot_k<L::Q5_K, decode_q5_k>>);
  set(DType::Q6_K, DType::Q8_K, act_q8_k, gemm_rows<dot_k<L::Q6_K, decode_q6_k>>);
  return t;
}

constexpr KernelTable kReferenceTable = make_reference_table();

}  // namespace

const KernelTable& reference_kernels() { return kReferenceTable; }

}  // namespace minnow::kernels
