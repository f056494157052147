#pragma once
// UTF-8 helpers with llama.cpp's lenient conventions (a tokenizer must never reject text).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minnow::tok {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence a lead byte announces; stray continuation bytes count as 1.
inline size_t utf8_seq_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Code points of `text`; each byte that does not start a well-formed sequence becomes U+FFFD
// (the same result llama.cpp's unicode_cpts_from_utf8 gives).
std::vector<uint32_t> decode_utf8_lossy(std::string_view text);

void append_utf8(std::string& out, uint32_t cp);

// How many leading bytes of `bytes` form complete UTF-8 sequences; a trailing partial
// sequence (that could still be completed by more bytes) is excluded.
size_t utf8_complete_prefix(std::string_view bytes);

// Makes `bytes` valid UTF-8: each maximal ill-formed stretch becomes one U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

// GPT-2's reversible byte <-> printable-code-point mapping used by byte-level BPE vocabularies.
class ByteMap {
 public:
  ByteMap();
  const std::string& encode(uint8_t byte) const { return encoded_[byte]; }
  // Byte for a code point of a vocabulary string; -1 when it is not one of the 256.
  int decode(uint32_t cp) const { return cp < decoded_.size() ? decoded_[cp] : -1; }

 private:
  std::array<std::string, 256> encoded_;
  std::vector<int16_t> decoded_;
};

}  // namespace minnow::tok
