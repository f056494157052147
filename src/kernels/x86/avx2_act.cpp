// AVX2 activation conversion: byte-identical to the scalar reference quantizers (same scale
// formulas, same round-to-nearest-even), only vectorised.
#include "kernels/layout.h"
#include "kernels/packed.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

namespace L = layout;

// Local (internal-linkage) scalar helpers: an inline function shared with non-AVX2 files
// could be emitted from this file with AVX2 code and picked by the linker for all callers.
uint16_t to_half(float v) { return uint16_t(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT)); }

uint16_t to_bf16(float v) {
  uint32_t x;
  std::memcpy(&x, &v, sizeof(x));
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 64);
  return uint16_t((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// 4 x 8 int32 (each in [-128, 127]) -> 32 int8 in element order.
inline __m256i pack_i32_to_i8(__m256i i0, __m256i i1, __m256i i2, __m256i i3) {
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
  // The packs work per 128-bit lane; this puts the 4-byte groups back in order.
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Quantizes one 32-element block with multiplier 127/amax; returns d and the values' sums by
// lane (lane l: the values of elements i with i % 8 == l).
struct Block32 {
  float d;
  __m256i lane_sums;
  int sum() const { return hsum_i32(lane_sums); }
};

inline Block32 quantize_block32(const float* x, int8_t* qs) {
  __m256 v[4];
  for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
  const __m256 m = _mm256_max_ps(_mm256_max_ps(abs_ps(v[0]), abs_ps(v[1])), _mm256_max_ps(abs_ps(v[2]), abs_ps(v[3])));
  const float amax = hmax(m);
  const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
  __m256i q[4];
  for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], id));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
  const __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
  return {amax / 127.0f, s};
}

}  // namespace

void quantize_q8_0(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_0*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    const Block32 b = quantize_block32(x + ib * L::kQK, y[ib].qs);
    y[ib].d = to_half(b.d);
  }
}

void quantize_q8s(const float* x, void* out, int64_t k) {
  auto* y = static_cast<packed::Q8S*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    const Block32 b = quantize_block32(x + ib * L::kQK, y[ib].qs);
    y[ib].d = half_to_float(to_half(b.d));
    // Lanes 0-3 plus 4-7 give the sums by i % 4; then bytes 0-1 and 2-3 of each group.
    const __m128i by4 = _mm_add_epi32(_mm256_castsi256_si128(b.lane_sums), _mm256_extracti128_si256(b.lane_sums, 1));
    const __m128i by2 = _mm_add_epi32(by4, _mm_shuffle_epi32(by4, _MM_SHUFFLE(2, 3, 0, 1)));
    packed::set_q8s_offsets(y[ib], _mm_cvtsi128_si32(by2), _mm_extract_epi32(by2, 2));
  }
}

void quantize_q8_1(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_1*>(out);
  for (int64_t ib = 0; ib < k / L::kQK; ++ib) {
    const Block32 b = quantize_block32(x + ib * L::kQK, y[ib].qs);
    y[ib].d = to_half(b.d);
    y[ib].s = to_half(b.d * float(b.sum()));
  }
}

void quantize_q8_k(const float* x, void* out, int64_t k) {
  auto* y = static_cast<L::Q8_K*>(out);
  for (int64_t ib = 0; ib < k / L::kQKK; ++ib, x += L::kQKK) {
    L::Q8_K& b = y[ib];
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < L::kQKK; i += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + i)));
    const float amax = hmax(m);
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // The scale comes from the first element of largest magnitude, with its sign.
    float max = 0.0f;
    for (int i = 0; i < L::kQKK; i += 8) {
      const __m256 eq = _mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + i)), _mm256_set1_ps(amax), _CMP_EQ_OQ);
      const int mask = _mm256_movemask_ps(eq);
      if (mask != 0) {
        max = x[i + __builtin_ctz(unsigned(mask))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    const __m256i top = _mm256_set1_epi32(127);
    for (int i = 0; i < L::kQKK; i += 32) {
      __m256i q[4];
      for (int j = 0; j < 4; ++j)
        q[j] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + i + 8 * j))), top);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(b.qs + i), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
      b.bsums[i / 16] = int16_t(hsum_i32(_mm256_add_epi32(q[0], q[1])));
      b.bsums[i / 16 + 1] = int16_t(hsum_i32(_mm256_add_epi32(q[2], q[3])));
    }
    b.d = 1.0f / iscale;
  }
}

void copy_f32(const float* x, void* out, int64_t k) { std::memcpy(out, x, size_t(k) * sizeof(float)); }

void convert_f16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), h);
  }
  for (; i < k; ++i) y[i] = to_half(x[i]);
}

void convert_bf16(const float* x, void* out, int64_t k) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
  const __m256i inf = _mm256_set1_epi32(0x7f800000);
  for (; i + 8 <= k; i += 8) {
    const __m256i v = _mm256_castps_si256(_mm256_loadu_ps(x + i));
    // Round to nearest even on the upper 16 bits; NaNs keep their top bits and turn quiet.
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(v, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(v, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(v, 16), _mm256_set1_epi32(64));
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(v, abs_mask), inf);
    const __m256i r = _mm256_blendv_epi8(rounded, quiet, is_nan);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), _MM_SHUFFLE(3, 1, 2, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_castsi256_si128(packed));
  }
  for (; i < k; ++i) y[i] = to_bf16(x[i]);
}

}  // namespace minnow::kernels::avx2
