// AVX2 GEMM for float weights: F32 x F32, F16 x F16 and BF16 x BF16 activations, each widened
// to f32 and accumulated with FMA, 8 elements per step; leftover elements summed in scalar.
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

float bf16_value(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

struct FloatCommon {
  static constexpr int64_t kStep = 8;
  static constexpr int kDecodeRows = 4;
  static constexpr int kPrefillRows = 2;
  using W = __m256;
  using X = __m256;
  static void madd(__m256& acc, float&, const W& w, const X& x) { acc = _mm256_fmadd_ps(w, x, acc); }
};

struct PolicyF32 : FloatCommon {
  static __m256 load(const uint8_t* row, int64_t s) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + s * kStep);
  }
  static W load_w(const uint8_t* row, int64_t s) { return load(row, s); }
  static X load_x(const uint8_t* row, int64_t s) { return load(row, s); }
  static float tail(const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const float*>(w);
    const auto* b = reinterpret_cast<const float*>(x);
    float sum = 0.0f;
    for (int64_t i = from; i < k; ++i) sum += a[i] * b[i];
    return sum;
  }
};

struct PolicyF16 : FloatCommon {
  static __m256 load(const uint8_t* row, int64_t s) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + s * kStep * 2)));
  }
  static W load_w(const uint8_t* row, int64_t s) { return load(row, s); }
  static X load_x(const uint8_t* row, int64_t s) { return load(row, s); }
  static float tail(const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const uint16_t*>(w);
    const auto* b = reinterpret_cast<const uint16_t*>(x);
    float sum = 0.0f;
    for (int64_t i = from; i < k; ++i) sum += half_to_float(a[i]) * half_to_float(b[i]);
    return sum;
  }
};

struct PolicyBF16 : FloatCommon {
  static __m256 load(const uint8_t* row, int64_t s) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + s * kStep * 2));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static W load_w(const uint8_t* row, int64_t s) { return load(row, s); }
  static X load_x(const uint8_t* row, int64_t s) { return load(row, s); }
  static float tail(const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const uint16_t*>(w);
    const auto* b = reinterpret_cast<const uint16_t*>(x);
    float sum = 0.0f;
    for (int64_t i = from; i < k; ++i) sum += bf16_value(a[i]) * bf16_value(b[i]);
    return sum;
  }
};

// One token's F16 dot as llama.cpp's ggml_vec_dot_f16 rounds it on AVX2: four 8-lane sums over
// 32-element steps, added (0+2)+(1+3), the lanes then ((0+4)+(1+5))+((2+6)+(3+7)), and the
// elements after the last whole step added one by one in double.
float dot_f16_one_token(const uint16_t* w, const uint16_t* x, int64_t k) {
  const int64_t whole = k / 32 * 32;
  __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t i = 0; i < whole; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const auto* wp = reinterpret_cast<const uint8_t*>(w + i + 8 * j);
      const auto* xp = reinterpret_cast<const uint8_t*>(x + i + 8 * j);
      sum[j] = _mm256_fmadd_ps(PolicyF16::load(wp, 0), PolicyF16::load(xp, 0), sum[j]);
    }
  }
  const __m256 all = _mm256_add_ps(_mm256_add_ps(sum[0], sum[2]), _mm256_add_ps(sum[1], sum[3]));
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(all), _mm256_extractf128_ps(all, 1));
  const __m128 pairs = _mm_hadd_ps(half, half);
  double total = _mm_cvtss_f32(_mm_hadd_ps(pairs, pairs));
  for (int64_t i = whole; i < k; ++i) total += double(half_to_float(w[i]) * half_to_float(x[i]));
  return float(total);
}

}  // namespace

void gemm_f16_one_token(const GemmArgs& a, int64_t r0, int64_t r1) {
  for (int64_t b = 0; b < a.nb; ++b) {
    const auto* x = reinterpret_cast<const uint16_t*>(a.x + size_t(b) * a.x_row_bytes);
    for (int64_t r = r0; r < r1; ++r) {
      const auto* w = reinterpret_cast<const uint16_t*>(a.w + size_t(r) * a.w_row_bytes);
      a.y[b * a.y_stride + r] = dot_f16_one_token(w, x, a.k);
    }
  }
}

void gemm_f32(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF32>(a, r0, r1); }
void gemm_f16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF16>(a, r0, r1); }
void gemm_bf16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyBF16>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
