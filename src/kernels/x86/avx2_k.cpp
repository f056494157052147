// AVX2 GEMM for the K-quants (Q2_K..Q6_K) with Q8_K activations.
//
// Each 256-element super-block is decoded to unsigned 8-bit values q (at most 63), one int16
// scale per group of 16 and one int16 "min" per group, so that
//   dot = d*dx * sum_g scale_g * sum(q*x over g)  -  mscale*dx * sum_g min_g * bsum_g.
// Q6_K and Q3_K store signed values as q - offset; their offset term (offset*scale_g*bsum_g)
// is exact in int32 and is subtracted before converting to float (mscale = d). Q2_K, Q4_K and
// Q5_K have real mins scaled by dmin, summed in float as ggml does.
#include "kernels/layout.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

namespace L = layout;

struct KDecoded {
  __m256i q[8];      // 32 values per chunk
  __m256i scale[8];  // per chunk: int16 x 16, lanes 0-7 the first group, 8-15 the second
  __m256i min;       // int16 x 16, one per group
  float d, dmin;
};

// Chunk c's scale vector from 8 int16 scales held in both 128-bit lanes of `both`: lanes
// 0-7 take word lo_word, lanes 8-15 word hi_word (one in-lane byte shuffle).
inline __m256i pick_words(__m256i both, int lo_word, int hi_word) {
  const int16_t lo = int16_t(0x0101 * 2 * lo_word + 0x0100), hi = int16_t(0x0101 * 2 * hi_word + 0x0100);
  return _mm256_shuffle_epi8(both, _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo)));
}

// Scales (and mins) given per 32 elements (Q4_K, Q5_K).
inline void set_scales_per_32(KDecoded& w, const L::ScalesMins8& sm) {
  __m128i packed;
  std::memcpy(&packed, &sm, sizeof(packed));
  const __m128i scales = _mm_cvtepu8_epi16(packed);
  const __m128i mins = _mm_cvtepu8_epi16(_mm_srli_si128(packed, 8));
  const __m256i both = _mm256_broadcastsi128_si256(scales);
  for (int c = 0; c < 8; ++c) w.scale[c] = pick_words(both, c, c);
  w.min = _mm256_set_m128i(_mm_unpackhi_epi16(mins, mins), _mm_unpacklo_epi16(mins, mins));
}

// 16 int16 scales, one per group of 16 (Q2_K, Q3_K, Q6_K) -> the 8 chunk scale vectors.
inline void set_scales_per_16(KDecoded& w, __m256i s16) {
  const __m256i low_groups = _mm256_permute4x64_epi64(s16, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256i high_groups = _mm256_permute4x64_epi64(s16, _MM_SHUFFLE(3, 2, 3, 2));
  for (int c = 0; c < 4; ++c) {
    w.scale[c] = pick_words(low_groups, 2 * c, 2 * c + 1);
    w.scale[c + 4] = pick_words(high_groups, 2 * c, 2 * c + 1);
  }
}

// Signed int8 scales per 16 (Q3_K after unpacking, Q6_K): offset * scale serve as the mins.
inline void set_signed_scales_per_16(KDecoded& w, const int8_t* sc, int offset_shift) {
  const __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
  set_scales_per_16(w, s16);
  w.min = _mm256_slli_epi16(s16, offset_shift);
}

inline __m256i load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// Bytes equal to `value` where bit `bit` of the corresponding byte of `bits` is set, else 0.
inline __m256i bit_to_value(__m256i bits, int bit, int value) {
  const __m256i b = _mm256_set1_epi8(int8_t(1 << bit));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bits, b), b), _mm256_set1_epi8(int8_t(value)));
}

inline __m256i two_bits(__m256i v, int plane) {
  return _mm256_and_si256(_mm256_srli_epi16(v, 2 * plane), _mm256_set1_epi8(3));
}

template <class Block, void (*Decode)(const Block&, KDecoded&), bool kIntOffset>
struct PolicyK {
  static constexpr int64_t kStep = L::kQKK;
  static constexpr int kDecodeRows = 1;
  static constexpr int kPrefillRows = 1;
  using W = KDecoded;
  using X = const L::Q8_K*;

  static W load_w(const uint8_t* row, int64_t s) {
    W w;
    Decode(reinterpret_cast<const Block*>(row)[s], w);
    return w;
  }
  static X load_x(const uint8_t* row, int64_t s) { return reinterpret_cast<const L::Q8_K*>(row) + s; }

  static void madd(__m256& acc, float&, const W& w, const X& x) {
    __m256i sum = _mm256_setzero_si256();
    for (int c = 0; c < 8; ++c) {
      const __m256i p16 = _mm256_maddubs_epi16(w.q[c], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x->qs + 32 * c)));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p16, w.scale[c]));
    }
    const __m256i mins = _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x->bsums)), w.min);
    if constexpr (kIntOffset) {
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sum, mins)), _mm256_set1_ps(w.d * x->d), acc);
    } else {
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(w.d * x->d), acc);
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(-w.dmin * x->d), acc);
    }
  }
  static float tail(const uint8_t*, const uint8_t*, int64_t, int64_t) { return 0.0f; }
};

void decode_q2_k(const L::Q2_K& b, KDecoded& w) {
  for (int half = 0; half < 2; ++half) {
    const __m256i v = load32(b.qs + 32 * half);
    for (int plane = 0; plane < 4; ++plane) w.q[4 * half + plane] = two_bits(v, plane);
  }
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
  const __m128i low4 = _mm_set1_epi8(0x0F);
  set_scales_per_16(w, _mm256_cvtepu8_epi16(_mm_and_si128(raw, low4)));
  w.min = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), low4));
  w.d = half_to_float(b.d);
  w.dmin = half_to_float(b.dmin);
}

void decode_q3_k(const L::Q3_K& b, KDecoded& w) {
  const __m256i hmask = load32(b.hmask);
  for (int half = 0; half < 2; ++half) {
    const __m256i v = load32(b.qs + 32 * half);
    for (int plane = 0; plane < 4; ++plane)
      w.q[4 * half + plane] = _mm256_or_si256(two_bits(v, plane), bit_to_value(hmask, 4 * half + plane, 4));
  }
  int8_t sc[16];
  L::unpack_scales_q3_k(b.scales, sc);
  set_signed_scales_per_16(w, sc, 2);  // stored value = q - 4
  w.d = half_to_float(b.d);
  w.dmin = 0.0f;
}

void decode_q4_k(const L::Q4_K& b, KDecoded& w) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int pair = 0; pair < 4; ++pair) {
    const __m256i v = load32(b.qs + 32 * pair);
    w.q[2 * pair] = _mm256_and_si256(v, low4);
    w.q[2 * pair + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
  }
  set_scales_per_32(w, L::unpack_scales_mins_k4(b.scales));
  w.d = half_to_float(b.d);
  w.dmin = half_to_float(b.dmin);
}

void decode_q5_k(const L::Q5_K& b, KDecoded& w) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i qh = load32(b.qh);
  for (int pair = 0; pair < 4; ++pair) {
    const __m256i v = load32(b.qs + 32 * pair);
    w.q[2 * pair] = _mm256_or_si256(_mm256_and_si256(v, low4), bit_to_value(qh, 2 * pair, 16));
    w.q[2 * pair + 1] =
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4), bit_to_value(qh, 2 * pair + 1, 16));
  }
  set_scales_per_32(w, L::unpack_scales_mins_k4(b.scales));
  w.d = half_to_float(b.d);
  w.dmin = half_to_float(b.dmin);
}

void decode_q6_k(const L::Q6_K& b, KDecoded& w) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i top2 = _mm256_set1_epi8(0x30);
  for (int half = 0; half < 2; ++half) {
    const __m256i l0 = load32(b.ql + 64 * half);
    const __m256i l1 = load32(b.ql + 64 * half + 32);
    const __m256i h = load32(b.qh + 32 * half);
    __m256i* q = w.q + 4 * half;
    q[0] = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(h, 4), top2));
    q[1] = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(h, 2), top2));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(h, top2));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                           _mm256_and_si256(_mm256_srli_epi16(h, 2), top2));
  }
  set_signed_scales_per_16(w, b.scales, 5);  // stored value = q - 32
  w.d = half_to_float(b.d);
  w.dmin = 0.0f;
}

}  // namespace

void gemm_q2_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<L::Q2_K, decode_q2_k, false>>(a, r0, r1); }
void gemm_q3_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<L::Q3_K, decode_q3_k, true>>(a, r0, r1); }
void gemm_q4_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<L::Q4_K, decode_q4_k, false>>(a, r0, r1); }
void gemm_q5_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<L::Q5_K, decode_q5_k, false>>(a, r0, r1); }
void gemm_q6_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<L::Q6_K, decode_q6_k, true>>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
