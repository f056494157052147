// Scalar packing and unpacking of the packed Q4_K layout (kernels/packed_q4_k.h).
#include "kernels/packed_q4_k.h"

#include <cstring>

#include "util/fp16.h"

namespace minnow::kernels::packed {
namespace {

namespace L = layout;

constexpr int kSixBitValues = 64;
constexpr uint64_t kLow4x8 = 0x0F0F0F0F0F0F0F0Full;

uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }

SixBit64 encode_six_bit(const uint8_t v[kSixBitValues]) {
  SixBit64 out{};
  for (int k = 0; k < 32; ++k) out.b[k] = uint8_t(v[k] | ((v[32 + k] >> 4) << 6));
  for (int i = 0; i < 16; ++i) out.b[32 + i] = uint8_t((v[32 + i] & 0xF) | ((v[48 + i] & 0xF) << 4));
  return out;
}

uint8_t decode_six_bit(const SixBit64& s, int idx) {
  if (idx < 32) return s.b[idx] & 0x3F;
  const int k = idx - 32;
  const uint8_t low = k < 16 ? (s.b[32 + k] & 0xF) : (s.b[16 + k] >> 4);
  return uint8_t(low | ((s.b[k] >> 6) << 4));
}

}  // namespace

void pack_q4_k_x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst) {
  auto* out = reinterpret_cast<Q4_Kx8*>(dst);
  for (int64_t j = 0; j < k / L::kQKK; ++j) {
    Q4_Kx8& o = out[j];
    uint8_t scales[kSixBitValues], mins[kSixBitValues];
    for (int r = 0; r < kRows; ++r) {
      const L::Q4_K& b = reinterpret_cast<const L::Q4_K*>(src + size_t(r) * src_row_bytes)[j];
      o.d[r] = b.d;
      o.dmin[r] = b.dmin;
      const L::ScalesMins8 sm = L::unpack_scales_mins_k4(b.scales);
      for (int s = 0; s < kQ4Subs; ++s) {
        scales[q4_k_x8_scale_index(s, r)] = sm.scales[s];
        mins[q4_k_x8_min_index(s, r)] = sm.mins[s];
      }
      // Plain sub-blocks 2p and 2p + 1: the low and the high nibbles of qs[32 p .. 32 p + 31].
      // Eight bytes at a time (little-endian: the low word is the first four bytes); the masks
      // keep every nibble inside its own byte.
      for (int pair = 0; pair < kQ4Subs / 2; ++pair)
        for (int half = 0; half < 2; ++half) {  // chunks 2 half and 2 half + 1
          const uint8_t* qs = b.qs + 32 * pair + 8 * half;
          const uint64_t lo = load_u64(qs), hi = load_u64(qs + 16);
          const uint64_t even = (lo & kLow4x8) | ((hi & kLow4x8) << 4);
          const uint64_t odd = ((lo >> 4) & kLow4x8) | (hi & ~kLow4x8);
          store_u32(&o.q[2 * pair][2 * half][4 * r], uint32_t(even));
          store_u32(&o.q[2 * pair][2 * half + 1][4 * r], uint32_t(even >> 32));
          store_u32(&o.q[2 * pair + 1][2 * half][4 * r], uint32_t(odd));
          store_u32(&o.q[2 * pair + 1][2 * half + 1][4 * r], uint32_t(odd >> 32));
        }
    }
    o.scales = encode_six_bit(scales);
    o.mins = encode_six_bit(mins);
  }
}

void unpack_row_q4_k_x8(const uint8_t* group, int row, int64_t k, float* out) {
  const auto* in = reinterpret_cast<const Q4_Kx8*>(group);
  for (int64_t j = 0; j < k / L::kQKK; ++j) {
    const Q4_Kx8& b = in[j];
    const float d = fp16_to_f32(b.d[row]), dmin = fp16_to_f32(b.dmin[row]);
    for (int s = 0; s < kQ4Subs; ++s, out += 32) {
      // The same float operations, in the same order, as dequantize_row.
      const float scale = d * decode_six_bit(b.scales, q4_k_x8_scale_index(s, row));
      const float min = dmin * decode_six_bit(b.mins, q4_k_x8_min_index(s, row));
      for (int c = 0; c < kQ4Chunks; ++c)
        for (int i = 0; i < 4; ++i) {
          const uint8_t byte = b.q[s][c][4 * row + i];
          out[4 * c + i] = scale * (byte & 0xF) - min;
          out[16 + 4 * c + i] = scale * (byte >> 4) - min;
        }
    }
  }
}

}  // namespace minnow::kernels::packed
