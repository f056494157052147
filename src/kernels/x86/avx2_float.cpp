// AVX2 GEMM for float weights: F32 x F32, F16 x F16 and BF16 x BF16 activations, each widened
// to f32 and accumulated with FMA, 8 elements per step; leftover elements summed in scalar.
#include <cmath>

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

// F16 weights against f32 activations holding f16 values: the same products and sums as
// PolicyF16's, with the activations loaded as they are.
struct PolicyF16F32 : PolicyF16 {
  static X load_x(const uint8_t* row, int64_t s) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + s * kStep);
  }
  static float tail(const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const uint16_t*>(w);
    const auto* b = reinterpret_cast<const float*>(x);
    float sum = 0.0f;
    for (int64_t i = from; i < k; ++i) sum += half_to_float(a[i]) * b[i];
    return sum;
  }
};

// The rows' used bytes (a.k f16 values), for rows [r, r + n): cache rows are strided (K rows
// interleave the KV heads; V rows are n_ctx long and only the first n_kv are read), which the
// hardware prefetcher follows poorly.
inline void prefetch_f16_rows(const GemmArgs& a, int64_t r, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const char* p = reinterpret_cast<const char*>(a.w + size_t(r + i) * a.w_row_bytes);
    for (int64_t off = 0; off < a.k * 2; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
  }
}

// Few activation rows (a GQA group's query heads, 1-16) against many weight rows: tiles of 2
// weight rows and up to 6 activation rows, whose 12 sums stay in registers; the activations
// are loaded from L1 as memory operands of the FMAs. Each output's steps are those of
// gemm<PolicyF16>'s tiles.
template <class P>
void gemm_few_acts(const GemmArgs& a, int64_t r0, int64_t r1) {
  constexpr int64_t kAhead = 4;  // rows: two tiles
  for (int64_t b = 0; b < a.nb; b += 6) {
    const int64_t n = a.nb - b < 6 ? a.nb - b : 6;
    int64_t r = r0;
    if (b == 0) prefetch_f16_rows(a, r0, r1 - r0 < kAhead ? r1 - r0 : kAhead);
    for (; r + 2 <= r1; r += 2) {
      if (b == 0 && r + kAhead + 2 <= r1) prefetch_f16_rows(a, r + kAhead, 2);
      tile_n<P, 2, 6>(a, r, b, n);
    }
    for (; r < r1; ++r) tile_n<P, 1, 6>(a, r, b, n);
  }
}

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

// One token's dots as llama.cpp's ggml_vec_dot_{f16,f32,bf16} round them on AVX2: four 8-lane
// sums over 32-element steps, added (0+2)+(1+3); then the lanes and the elements after the last
// whole step as each of the three does it (see the policies' finish).
template <class P>
float dot_one_token(const uint8_t* w, const uint8_t* x, int64_t k) {
  const int64_t whole = k / 32 * 32;
  __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t s = 0; s < whole / 8; s += 4)
    for (int j = 0; j < 4; ++j) sum[j] = _mm256_fmadd_ps(P::load(w, s + j), P::load(x, s + j), sum[j]);
  return P::finish(_mm256_add_ps(_mm256_add_ps(sum[0], sum[2]), _mm256_add_ps(sum[1], sum[3])), w, x, whole, k);
}

// The lanes in hadd order, ((0+4)+(1+5))+((2+6)+(3+7)).
float hadd_lanes(__m256 v) {
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_hadd_ps(half, half);
  return _mm_cvtss_f32(_mm_hadd_ps(pairs, pairs));
}

// F16 and BF16 products are exact in float (so BF16's multiply-then-add in llama.cpp is an
// FMA too); the lanes go in each dot's order (F16: hadd, BF16: movehl) and the tail in double.
template <class Base, float (*kLanes)(__m256), float (*kValue)(uint16_t)>
struct OneTokenHalf : Base {
  static float finish(__m256 v, const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const uint16_t*>(w);
    const auto* b = reinterpret_cast<const uint16_t*>(x);
    double total = kLanes(v);
    for (int64_t i = from; i < k; ++i) total += double(kValue(a[i]) * kValue(b[i]));
    return float(total);
  }
};
using OneTokenF16 = OneTokenHalf<PolicyF16, hadd_lanes, half_to_float>;
using OneTokenBF16 = OneTokenHalf<PolicyBF16, hsum, bf16_value>;

// F32 keeps its sum in float, and its tail multiplies and adds in two roundings (the barrier
// keeps our compiler from contracting them into an FMA, which llama.cpp's build does not).
struct OneTokenF32 : PolicyF32 {
  static float finish(__m256 v, const uint8_t* w, const uint8_t* x, int64_t from, int64_t k) {
    const auto* a = reinterpret_cast<const float*>(w);
    const auto* b = reinterpret_cast<const float*>(x);
    float total = hadd_lanes(v);
    for (int64_t i = from; i < k; ++i) {
      float p = a[i] * b[i];
      asm("" : "+x"(p));
      total += p;
    }
    return total;
  }
};

template <class P>
void gemm_one_token(const GemmArgs& a, int64_t r0, int64_t r1) {
  for (int64_t b = 0; b < a.nb; ++b) {
    const uint8_t* x = a.x + size_t(b) * a.x_row_bytes;
    for (int64_t r = r0; r < r1; ++r) a.y[b * a.y_stride + r] = dot_one_token<P>(a.w + size_t(r) * a.w_row_bytes, x, a.k);
  }
}

}  // namespace

void gemm_f32_one_token(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_one_token<OneTokenF32>(a, r0, r1); }
void gemm_f16_one_token(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_one_token<OneTokenF16>(a, r0, r1); }
void gemm_bf16_one_token(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_one_token<OneTokenBF16>(a, r0, r1); }
void gemm_f32(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF32>(a, r0, r1); }
void gemm_f16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyF16>(a, r0, r1); }
void gemm_f16_f32act(const GemmArgs& a, int64_t r0, int64_t r1) { gemm_few_acts<PolicyF16F32>(a, r0, r1); }
void gemm_bf16(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyBF16>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
