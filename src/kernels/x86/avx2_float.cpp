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

}  // namespace

void gemm_f32(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF32>(a, r0, r1); }
void gemm_f16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF16>(a, r0, r1); }
void gemm_bf16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyBF16>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
