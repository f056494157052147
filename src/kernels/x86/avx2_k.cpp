// AVX2 GEMM for the K-quants (Q2_K..Q6_K) with Q8_K activations.
//
// Each 256-element super-block is read as 8 chunks of 32 unsigned 8-bit values q (at most 63),
// with one int16 scale per group of 16 and one int16 "min" per group, so that
//   dot = d*dx * sum_g scale_g * sum(q*x over g)  -  mscale*dx * sum_g min_g * bsum_g.
// Q6_K and Q3_K store signed values as q - offset: Q6_K subtracts its offset term
// (offset*scale_g*bsum_g, exact in int32) from the lane sums, Q3_K takes the offset off each
// product pair. Q2_K, Q4_K and Q5_K have real mins scaled by dmin.
// The float steps follow ggml's AVX2 dot products exactly (which lane holds which products,
// the order of the FMAs, the final horizontal sum), so that results match llama.cpp's to the
// bit: Q2_K adds its mins to the lanes before the values, Q4_K and Q5_K sum theirs in a scalar
// added after the horizontal sum.
// Scales are unpacked once per super-block and row; the values are decoded chunk by chunk
// straight from the block for every activation (a few ALU ops, cheaper than a round trip
// through memory).
#include <cmath>

#include "kernels/layout.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

namespace L = layout;

// One row's super-block, ready for dots: scales (8 int16 per 128-bit lane: per-32 types use
// `low` only; per-16 types hold groups 0-7 in `low` and 8-15 in `high`), mins per group.
template <class Block>
struct KRow {
  const Block* b;
  __m256i low, high;
  __m256i min;
  float d, dmin;
};

// Lanes 0-7 take word lo_word of `both`, lanes 8-15 word hi_word (one in-lane byte shuffle).
inline __m256i pick_words(__m256i both, int lo_word, int hi_word) {
  const int16_t lo = int16_t(0x0202 * lo_word + 0x0100), hi = int16_t(0x0202 * hi_word + 0x0100);
  return _mm256_shuffle_epi8(both, _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo)));
}

template <class Block>
inline void set_scales_per_32(KRow<Block>& w, const uint8_t* packed_scales) {
  // Built in registers (not through memory): a 16-byte load of 4 just-stored words would
  // miss store forwarding.
  uint32_t out[4];
  L::unpack_scales_mins_k4_words(packed_scales, out);
  const __m128i packed = _mm_setr_epi32(int(out[0]), int(out[1]), int(out[2]), int(out[3]));
  const __m128i mins = _mm_cvtepu8_epi16(_mm_srli_si128(packed, 8));
  w.low = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(packed));
  w.high = w.low;
  w.min = _mm256_set_m128i(_mm_unpackhi_epi16(mins, mins), _mm_unpacklo_epi16(mins, mins));
}

template <class Block>
inline void set_scales_per_16(KRow<Block>& w, __m256i s16) {
  w.low = _mm256_permute4x64_epi64(s16, _MM_SHUFFLE(1, 0, 1, 0));
  w.high = _mm256_permute4x64_epi64(s16, _MM_SHUFFLE(3, 2, 3, 2));
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

inline __m256i low_nibbles(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0F)); }
inline __m256i high_nibbles(__m256i v) { return low_nibbles(_mm256_srli_epi16(v, 4)); }

// Each type: Block, kPer16 (scales per 16 vs per 32), kMins (see top), prepare() for the
// scales, and chunks(b, f) calling f(c, q) for chunks c = 0..7 in order.
// How a type's mins or offset enter the sum (see top).
enum class Mins { LaneOffset, IntOffset, LanesFirst, Scalar };

struct TypeQ2_K {
  using Block = L::Q2_K;
  static constexpr bool kPer16 = true;
  static constexpr Mins kMins = Mins::LanesFirst;
  static void prepare(const Block& b, KRow<Block>& w) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    const __m128i low4 = _mm_set1_epi8(0x0F);
    set_scales_per_16(w, _mm256_cvtepu8_epi16(_mm_and_si128(raw, low4)));
    w.min = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), low4));
    w.d = half_to_float(b.d);
    w.dmin = half_to_float(b.dmin);
  }
  template <class F>
  static void chunks(const Block& b, F&& f) {
    for (int half = 0; half < 2; ++half) {
      const __m256i v = load32(b.qs + 32 * half);
      for (int plane = 0; plane < 4; ++plane) f(4 * half + plane, two_bits(v, plane));
    }
  }
};

struct TypeQ3_K {
  using Block = L::Q3_K;
  static constexpr bool kPer16 = true;
  static constexpr Mins kMins = Mins::LaneOffset;
  static constexpr int kOffset = 4;  // stored value = q - 4
  static void prepare(const Block& b, KRow<Block>& w) {
    int8_t sc[16];
    L::unpack_scales_q3_k(b.scales, sc);
    const __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
    set_scales_per_16(w, s16);
    w.d = half_to_float(b.d);
    w.dmin = 0.0f;
  }
  template <class F>
  static void chunks(const Block& b, F&& f) {
    const __m256i hmask = load32(b.hmask);
    for (int half = 0; half < 2; ++half) {
      const __m256i v = load32(b.qs + 32 * half);
      for (int plane = 0; plane < 4; ++plane)
        f(4 * half + plane, _mm256_or_si256(two_bits(v, plane), bit_to_value(hmask, 4 * half + plane, 4)));
    }
  }
};

struct TypeQ4_K {
  using Block = L::Q4_K;
  static constexpr bool kPer16 = false;
  static constexpr Mins kMins = Mins::Scalar;
  static void prepare(const Block& b, KRow<Block>& w) {
    set_scales_per_32(w, b.scales);
    w.d = half_to_float(b.d);
    w.dmin = half_to_float(b.dmin);
  }
  template <class F>
  static void chunks(const Block& b, F&& f) {
    for (int pair = 0; pair < 4; ++pair) {
      const __m256i v = load32(b.qs + 32 * pair);
      f(2 * pair, low_nibbles(v));
      f(2 * pair + 1, high_nibbles(v));
    }
  }
};

struct TypeQ5_K {
  using Block = L::Q5_K;
  static constexpr bool kPer16 = false;
  static constexpr Mins kMins = Mins::Scalar;
  static void prepare(const Block& b, KRow<Block>& w) {
    set_scales_per_32(w, b.scales);
    w.d = half_to_float(b.d);
    w.dmin = half_to_float(b.dmin);
  }
  template <class F>
  static void chunks(const Block& b, F&& f) {
    const __m256i qh = load32(b.qh);
    for (int pair = 0; pair < 4; ++pair) {
      const __m256i v = load32(b.qs + 32 * pair);
      f(2 * pair, _mm256_or_si256(low_nibbles(v), bit_to_value(qh, 2 * pair, 16)));
      f(2 * pair + 1, _mm256_or_si256(high_nibbles(v), bit_to_value(qh, 2 * pair + 1, 16)));
    }
  }
};

struct TypeQ6_K {
  using Block = L::Q6_K;
  static constexpr bool kPer16 = true;
  static constexpr Mins kMins = Mins::IntOffset;
  static void prepare(const Block& b, KRow<Block>& w) {
    const __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    set_scales_per_16(w, s16);
    w.min = _mm256_slli_epi16(s16, 5);  // stored value = q - 32
    w.d = half_to_float(b.d);
    w.dmin = 0.0f;
  }
  template <class F>
  static void chunks(const Block& b, F&& f) {
    const __m256i top2 = _mm256_set1_epi8(0x30);
    for (int half = 0; half < 2; ++half) {
      const __m256i l0 = load32(b.ql + 64 * half);
      const __m256i l1 = load32(b.ql + 64 * half + 32);
      const __m256i h = load32(b.qh + 32 * half);
      f(4 * half + 0, _mm256_or_si256(low_nibbles(l0), _mm256_and_si256(_mm256_slli_epi16(h, 4), top2)));
      f(4 * half + 1, _mm256_or_si256(low_nibbles(l1), _mm256_and_si256(_mm256_slli_epi16(h, 2), top2)));
      f(4 * half + 2, _mm256_or_si256(high_nibbles(l0), _mm256_and_si256(h, top2)));
      f(4 * half + 3, _mm256_or_si256(high_nibbles(l1), _mm256_and_si256(_mm256_srli_epi16(h, 2), top2)));
    }
  }
};

template <class T>
struct PolicyK {
  static constexpr int64_t kStep = L::kQKK;
  static constexpr int kDecodeRows = 2;
  static constexpr int kPrefillRows = 1;
  using W = KRow<typename T::Block>;
  using X = const L::Q8_K*;

  static W load_w(const uint8_t* row, int64_t s) {
    W w;
    w.b = reinterpret_cast<const typename T::Block*>(row) + s;
    T::prepare(*w.b, w);
    return w;
  }
  static X load_x(const uint8_t* row, int64_t s) { return reinterpret_cast<const L::Q8_K*>(row) + s; }

  static __m256i chunk_scales(const W& w, int c) {
    if constexpr (T::kPer16) return pick_words(c < 4 ? w.low : w.high, 2 * (c % 4), 2 * (c % 4) + 1);
    return pick_words(w.low, c, c);
  }

  // acc: 8 float lanes; extra: the scalar added after their horizontal sum.
  static void madd(__m256& acc, float& extra, const W& w, const X& x) {
    __m256i sum = _mm256_setzero_si256();
    T::chunks(*w.b, [&](int c, __m256i q) {
      const __m256i xc = load32(reinterpret_cast<const uint8_t*>(x->qs + 32 * c));
      __m256i p16 = _mm256_maddubs_epi16(q, xc);
      if constexpr (T::kMins == Mins::LaneOffset)
        p16 = _mm256_sub_epi16(p16, _mm256_maddubs_epi16(_mm256_set1_epi8(T::kOffset), xc));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p16, chunk_scales(w, c)));
    });
    const __m256 d = _mm256_set1_ps(w.d * x->d);
    if constexpr (T::kMins == Mins::LaneOffset) {
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc);
    } else {
      const __m256i mins = _mm256_madd_epi16(load32(reinterpret_cast<const uint8_t*>(x->bsums)), w.min);
      const float dmin = -w.dmin * x->d;
      if constexpr (T::kMins == Mins::IntOffset) {
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sum, mins)), d, acc);
      } else if constexpr (T::kMins == Mins::LanesFirst) {
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(dmin), acc);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc);
      } else {
        extra = std::fma(dmin, float(hsum_i32(mins)), extra);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc);
      }
    }
  }
  static float tail(const uint8_t*, const uint8_t*, int64_t, int64_t) { return 0.0f; }
};

}  // namespace

void gemm_q2_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<TypeQ2_K>>(a, r0, r1); }
void gemm_q3_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<TypeQ3_K>>(a, r0, r1); }
void gemm_q4_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<TypeQ4_K>>(a, r0, r1); }
void gemm_q5_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<TypeQ5_K>>(a, r0, r1); }
void gemm_q6_k(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyK<TypeQ6_K>>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
