// AVX2 GEMM for the 32-element block types: Q4_0, Q5_0, Q8_0 (with Q8_0 activations) and
// Q4_1, Q5_1 (with Q8_1 activations). One integer dot per block, scaled by d_w * d_x.
#include "kernels/layout.h"
#include "kernels/x86/avx2_common.h"

namespace minnow::kernels::avx2 {
namespace {

namespace L = layout;

struct IntBlockMin {
  __m256i q;
  float d, m;  // for Q8_1 activations m holds s = d * sum(q)
};

// All 8 lanes = the half-precision value at p.
inline __m256 broadcast_half(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_set1_epi16(int16_t(*p)));
}

template <class Block>
const Block& block_at(const uint8_t* row, int64_t s) {
  return reinterpret_cast<const Block*>(row)[s];
}

// Blocks with their scale already in all 8 lanes (a broadcast load + one conversion).
struct IntBlockV {
  __m256i q;
  __m256 d;
};

struct ActQ8_0 {
  using X = IntBlockV;
  static X load_x(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q8_0>(row, s);
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), broadcast_half(&b.d)};
  }
};

struct ActQ8_1 {
  using X = IntBlockMin;
  static X load_x(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q8_1>(row, s);
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), half_to_float(b.d), half_to_float(b.s)};
  }
};

// Q8_0 activations for weights stored as unsigned q with value q - offset: the dot is
// sum(q*x) - offset*sum(x), so the weights need no sign fix-up; offset*x pair sums are
// computed once per activation block and shared by all rows of a tile.
template <int kOffset>
struct ActQ8_0Offset {
  struct X {
    __m256i q;
    __m256i offset_pairs;  // int16 x 16: offset * (x[2i] + x[2i+1])
    __m256 d;
  };
  static X load_x(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q8_0>(row, s);
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    return {q, _mm256_maddubs_epi16(_mm256_set1_epi8(kOffset), q), broadcast_half(&b.d)};
  }
};

struct LegacyCommon {
  static constexpr int64_t kStep = L::kQK;
  static constexpr int kDecodeRows = 4;
  static constexpr int kPrefillRows = 2;
  static float tail(const uint8_t*, const uint8_t*, int64_t, int64_t) { return 0.0f; }
};

// Signed weights against Q8_0.
struct SignedBase : LegacyCommon, ActQ8_0 {
  using W = IntBlockV;
  static void madd(__m256& acc, float&, const W& w, const X& x) {
    acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dot_i8(w.q, x.q)), w.d), x.d, acc);
  }
};

// Unsigned weights with a per-block minimum against Q8_1: d_w*d_x*sum(q*x) + m_w*s_x.
struct UnsignedMinBase : LegacyCommon, ActQ8_1 {
  using W = IntBlockMin;
  static void madd(__m256& acc, float& extra, const W& w, const X& x) {
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_u8(w.q, x.q)), _mm256_set1_ps(w.d * x.d), acc);
    extra += w.m * x.m;
  }
};

template <int kOffset>
struct OffsetBase : LegacyCommon, ActQ8_0Offset<kOffset> {
  using X = typename ActQ8_0Offset<kOffset>::X;
  struct W {
    __m256i q;
    __m256 d;
  };
  static void madd(__m256& acc, float&, const W& w, const X& x) {
    const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(w.q, x.q), x.offset_pairs);
    const __m256 p = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
    acc = _mm256_fmadd_ps(_mm256_mul_ps(p, w.d), x.d, acc);
  }
};

// 16 bytes of packed nibbles -> 32 bytes (low nibbles, then high), from one broadcast load.
inline __m256i nibbles_broadcast(const uint8_t* p) {
  const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_and_si256(_mm256_srlv_epi64(b, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}

struct PolicyQ4_0 : OffsetBase<8> {
  static W load_w(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q4_0>(row, s);
    return {nibbles_broadcast(b.qs), broadcast_half(&b.d)};
  }
};

struct PolicyQ8_0 : SignedBase {
  static W load_w(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q8_0>(row, s);
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), broadcast_half(&b.d)};
  }
};

uint32_t load_qh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof(v));
  return v;
}

struct PolicyQ5_0 : OffsetBase<16> {
  static W load_w(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q5_0>(row, s);
    const __m256i high = _mm256_and_si256(bits_to_bytes(load_qh(b.qh)), _mm256_set1_epi8(0x10));
    return {_mm256_or_si256(nibbles_broadcast(b.qs), high), broadcast_half(&b.d)};
  }
};

struct PolicyQ4_1 : UnsignedMinBase {
  static W load_w(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q4_1>(row, s);
    return {nibbles_to_bytes(b.qs), half_to_float(b.d), half_to_float(b.m)};
  }
};

struct PolicyQ5_1 : UnsignedMinBase {
  static W load_w(const uint8_t* row, int64_t s) {
    const auto& b = block_at<L::Q5_1>(row, s);
    const __m256i high = _mm256_and_si256(bits_to_bytes(load_qh(b.qh)), _mm256_set1_epi8(0x10));
    return {_mm256_or_si256(nibbles_to_bytes(b.qs), high), half_to_float(b.d), half_to_float(b.m)};
  }
};

}  // namespace

void gemm_q4_0(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyQ4_0>(a, r0, r1); }
void gemm_q8_0(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyQ8_0>(a, r0, r1); }
void gemm_q5_0(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyQ5_0>(a, r0, r1); }
void gemm_q4_1(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyQ4_1>(a, r0, r1); }
void gemm_q5_1(const GemmArgs& a, int64_t r0, int64_t r1) { gemm<PolicyQ5_1>(a, r0, r1); }

}  // namespace minnow::kernels::avx2
