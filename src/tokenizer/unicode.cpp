#include "tokenizer/unicode.h"

namespace minnow::tok {

namespace {

bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

// Decodes one sequence at `i`; returns its length, or 0 when the bytes there are malformed.
// Deliberately lenient like llama.cpp: overlong forms and surrogates pass.
size_t decode_one(std::string_view s, size_t i, uint32_t& cp) {
  const auto b0 = uint8_t(s[i]);
  const size_t avail = s.size() - i;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0) {
    if (avail < 2 || !is_cont(uint8_t(s[i + 1]))) return 0;
    cp = (uint32_t(b0 & 0x1F) << 6) | (uint8_t(s[i + 1]) & 0x3F);
    return 2;
  }
  if ((b0 & 0xF0) == 0xE0) {
    if (avail < 3 || !is_cont(uint8_t(s[i + 1])) || !is_cont(uint8_t(s[i + 2]))) return 0;
    cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(uint8_t(s[i + 1]) & 0x3F) << 6) |
         (uint8_t(s[i + 2]) & 0x3F);
    return 3;
  }
  if ((b0 & 0xF8) == 0xF0) {
    if (avail < 4 || !is_cont(uint8_t(s[i + 1])) || !is_cont(uint8_t(s[i + 2])) ||
        !is_cont(uint8_t(s[i + 3])))
      return 0;
    cp = (uint32_t(b0 & 0x07) << 18) | (uint32_t(uint8_t(s[i + 1]) & 0x3F) << 12) |
         (uint32_t(uint8_t(s[i + 2]) & 0x3F) << 6) | (uint8_t(s[i + 3]) & 0x3F);
    // Beyond Unicode: llama.cpp could not re-encode it either; treat as malformed.
    if (cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

std::vector<uint32_t> decode_utf8_lossy(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t n = decode_one(text, i, cp);
    if (n == 0) {
      out.push_back(kReplacementChar);
      ++i;
    } else {
      out.push_back(cp);
      i += n;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Strict validity for output: no overlongs, no surrogates, nothing past U+10FFFF.
enum class Seq { Valid, Invalid, Truncated };
struct SeqCheck {
  Seq kind;
  size_t len;  // Valid: sequence length; otherwise the maximal ill-formed prefix (>= 1)
};

SeqCheck strict_seq(std::string_view s, size_t i) {
  const auto b0 = uint8_t(s[i]);
  if (b0 < 0x80) return {Seq::Valid, 1};
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {Seq::Invalid, 1};
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return {Seq::Truncated, k};
    const auto b = uint8_t(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : !is_cont(b)) return {Seq::Invalid, k};
  }
  return {Seq::Valid, n};
}

}  // namespace

size_t utf8_complete_prefix(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const SeqCheck c = strict_seq(bytes, i);
    if (c.kind == Seq::Truncated) break;
    i += c.len;
  }
  return i;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const SeqCheck c = strict_seq(bytes, i);
    if (c.kind == Seq::Valid) out.append(bytes.substr(i, c.len));
    else append_utf8(out, kReplacementChar);  // one U+FFFD per maximal ill-formed stretch
    i += c.len;
  }
  return out;
}

ByteMap::ByteMap() : decoded_(512, -1) {
  // Printable Latin-1 bytes map to themselves; the other 68 bytes take code points 256.. in
  // byte order.
  auto printable = [](int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = printable(b) ? uint32_t(b) : next++;
    append_utf8(encoded_[b], cp);
    decoded_[cp] = int16_t(b);
  }
}

}  // namespace minnow::tok
