// AVX2 activation functions: SwiGLU's gate and the attention softmax.
//
// exp is computed the way ggml's AVX2 build computes it (Arm's optimized-routines expf scheme),
// so that SwiGLU and softmax outputs match llama.cpp's to the bit: both engines round these
// values to int8 (the next matmul's activations) or f16 (attention weights), and a 1-ulp
// difference there flips a rounding now and then, which then spreads through the layers.
// exp(x) = 2^n * e^b: n = round(x log2 e) by adding and subtracting 1.5 * 2^23, b = x - n ln 2
// (ln 2 in two parts), e^b - 1 by a degree-5 polynomial in b; 2^n goes into the exponent bits,
// with two factors where |n| > 126 so that large and small results still come out right.
#include <algorithm>
#include <cmath>

#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

inline __m256i bits(__m256 v) { return _mm256_castps_si256(v); }
inline __m256 from_bits(__m256i v) { return _mm256_castsi256_ps(v); }

inline __m256 exp_ps(__m256 x) {
  const __m256 shifter = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shifter);  // n + shifter
  const __m256 n = _mm256_sub_ps(z, shifter);
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                    _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256 b2 = _mm256_mul_ps(b, b);
  const __m256 high = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
  const __m256 mid = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
  const __m256 poly = _mm256_fmadd_ps(_mm256_fmadd_ps(high, b2, mid), b2,
                                      _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));  // e^b - 1
  const __m256i exponent = _mm256_slli_epi32(bits(z), 23);                               // n << 23
  const __m256 scale = from_bits(_mm256_add_epi32(exponent, bits(_mm256_set1_ps(1.0f))));  // 2^n
  const __m256 abs_n = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  const __m256 out_of_range = _mm256_cmp_ps(abs_n, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
  if (!_mm256_movemask_ps(out_of_range)) return _mm256_fmadd_ps(poly, scale, scale);
  // 2^n = s1 * s2 with both factors normal; past |n| > 192 the result is 0 or inf: s1 * s1.
  const __m256i negative = _mm256_and_si256(bits(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                            _mm256_set1_epi32(int32_t(0x82000000u)));
  const __m256 s1 = from_bits(_mm256_add_epi32(negative, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = from_bits(_mm256_sub_epi32(exponent, negative));
  const __m256 far = _mm256_cmp_ps(abs_n, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
  const __m256 split = _mm256_mul_ps(_mm256_fmadd_ps(s2, poly, s2), s1);
  const __m256 ranged = _mm256_blendv_ps(_mm256_fmadd_ps(poly, scale, scale), split, out_of_range);
  return _mm256_blendv_ps(ranged, _mm256_mul_ps(s1, s1), far);
}

}  // namespace

void silu_mul(float* g, const float* u, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void softmax(float* x, int64_t n) {
  float mx = x[0];
  int64_t j = 0;
  if (n >= 8) {  // the maximum is exact in any order
    __m256 m8 = _mm256_loadu_ps(x);
    for (j = 8; j + 8 <= n; j += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(x + j));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, m8);
    mx = *std::max_element(lanes, lanes + 8);
  }
  for (; j < n; ++j) mx = std::max(mx, x[j]);
  const __m256 vmx = _mm256_set1_ps(mx);
  double sum = 0.0;  // eight at a time in float, the running total in double
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
    _mm256_storeu_ps(x + i, e);
    sum += double(hsum(e));  // avx2_common.h: ggml's order
  }
  if (i < n) {  // the last few in a vector too, the rest of it -inf (exp 0), as ggml's masked lanes
    alignas(32) float tail[8];
    std::fill(tail, tail + 8, -INFINITY);
    std::copy(x + i, x + n, tail);
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_load_ps(tail), vmx));
    _mm256_store_ps(tail, e);
    std::copy(tail, tail + (n - i), x + i);
    sum += double(hsum(e));  // avx2_common.h: ggml's order
  }
  const float inv = float(1.0 / sum);
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace minnow::kernels::avx2
