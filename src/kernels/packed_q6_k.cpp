// Scalar packing and unpacking of the packed Q6_K layout (kernels/packed_q6_k.h).
#include "kernels/packed_q6_k.h"

#include <cstring>

#include "util/fp16.h"

namespace minnow::kernels::packed {
namespace {

namespace L = layout;

constexpr int kChunkBytes = kRows * kQ6ChunksPerGroup;

constexpr uint64_t kLow4 = 0x0F0F0F0F0F0F0F0F, kLow2 = 0x0303030303030303;

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <class T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}

// The unsigned 6-bit values (stored value + 32) of one plain Q6_K super-block, in element
// order. Eight bytes at a time: the masks keep every bit field inside its own byte.
void q6_values(const L::Q6_K& b, uint8_t q[L::kQKK]) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const uint8_t* qh = b.qh + 32 * half;
    uint8_t* out = q + 128 * half;
    for (int l = 0; l < 32; l += 8) {
      const uint64_t low = load<uint64_t>(ql + l), high = load<uint64_t>(ql + l + 32), h = load<uint64_t>(qh + l);
      store(out + l, (low & kLow4) | ((h & kLow2) << 4));
      store(out + l + 32, (high & kLow4) | (((h >> 2) & kLow2) << 4));
      store(out + l + 64, ((low >> 4) & kLow4) | (((h >> 4) & kLow2) << 4));
      store(out + l + 96, ((high >> 4) & kLow4) | (((h >> 6) & kLow2) << 4));
    }
  }
}

// Shift of the two bits of chunk 3 that byte plane v (< 3) carries in its bits 6-7.
constexpr int chunk3_shift(int v) { return 4 - 2 * v; }

}  // namespace

void pack_q6_k_x8(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst) {
  auto* out = reinterpret_cast<Q6_Kx8*>(dst);
  uint8_t q[L::kQKK];
  for (int64_t j = 0; j < k / L::kQKK; ++j) {
    Q6_Kx8& o = out[j];
    for (int r = 0; r < kRows; ++r) {
      const L::Q6_K& b = reinterpret_cast<const L::Q6_K*>(src + size_t(r) * src_row_bytes)[j];
      q6_values(b, q);
      o.d[r] = b.d;
      for (int g = 0; g < kQ6Groups; ++g) {
        o.scales[g / 2][q6_k_x8_scale_byte(r, g % 2)] = b.scales[g];
        // Chunk c of the group is q[16 g + 4 c .. + 3]; its 4 elements of this row go to bytes
        // 4 r .. 4 r + 3 of each plane, chunk 3's two bits at a time in bits 6-7.
        const uint32_t chunk3 = load<uint32_t>(q + 16 * g + 12);
        for (int v = 0; v < 3; ++v) {
          const uint32_t top = ((chunk3 >> chunk3_shift(v)) & uint32_t(kLow2)) << 6;
          store(&o.q[g][v][4 * r], load<uint32_t>(q + 16 * g + 4 * v) | top);
        }
      }
    }
  }
}

void unpack_row_q6_k_x8(const uint8_t* group, int row, int64_t k, float* out) {
  const auto* in = reinterpret_cast<const Q6_Kx8*>(group);
  for (int64_t j = 0; j < k / L::kQKK; ++j, out += L::kQKK) {
    const Q6_Kx8& b = in[j];
    const float d = fp16_to_f32(b.d[row]);
    for (int g = 0; g < kQ6Groups; ++g) {
      const int8_t scale = b.scales[g / 2][q6_k_x8_scale_byte(row, g % 2)];
      for (int i = 0; i < kQ6ChunksPerGroup; ++i) {
        int chunk3 = 0;
        for (int v = 0; v < 3; ++v) {
          const uint8_t byte = b.q[g][v][4 * row + i];
          out[16 * g + 4 * v + i] = d * scale * (int(byte & 0x3F) - 32);
          chunk3 |= (byte >> 6) << chunk3_shift(v);
        }
        out[16 * g + 12 + i] = d * scale * (chunk3 - 32);
      }
    }
  }
}

}  // namespace minnow::kernels::packed
