// SentencePiece (BPE flavour): start from UTF-8 characters and repeatedly merge the adjacent
// pair whose concatenation is the highest-scoring vocabulary token (leftmost on ties); what
// never becomes a token falls back to <0xXX> byte tokens.
#include <algorithm>
#include <queue>

#include "tokenizer/tokenizer_impl.h"

namespace minnow {

namespace {

struct Symbol {
  uint32_t begin, len;  // len 0 once merged into its left neighbour
  int32_t prev, next;
};

struct Candidate {
  float score;
  int32_t left, right;
  uint32_t size;  // bytes of the pair when queued; a mismatch later means it is stale
  bool operator<(const Candidate& o) const {  // std::priority_queue pops the largest
    return score != o.score ? score < o.score : left > o.left;
  }
};

}  // namespace

int32_t Tokenizer::Impl::byte_token(uint8_t b) const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char hex[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
  if (const int32_t id = lookup(std::string_view(hex, 6)); id != kNone) return id;
  const char raw = char(b);
  return lookup(std::string_view(&raw, 1));
}

void Tokenizer::Impl::encode_spm(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<Symbol> syms;
  for (uint32_t off = 0; off < text.size();) {
    const auto n = uint32_t(std::min(tok::utf8_seq_len(uint8_t(text[off])), text.size() - off));
    const auto idx = int32_t(syms.size());
    syms.push_back({off, n, idx - 1, off + n == text.size() ? -1 : idx + 1});
    off += n;
  }

  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const uint32_t size = syms[l].len + syms[r].len;
    const int32_t id = lookup(text.substr(syms[l].begin, size));
    if (id == kNone) return;
    queue.push({scores[id], l, r, size});
  };
  for (int32_t i = 1; i < int32_t(syms.size()); ++i) consider(i - 1, i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& a = syms[c.left];
    Symbol& b = syms[c.right];
    if (a.len == 0 || b.len == 0 || a.len + b.len != c.size) continue;
    a.len += b.len;
    b.len = 0;
    a.next = b.next;
    if (b.next >= 0) syms[b.next].prev = c.left;
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }

  for (int32_t i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
    const std::string_view piece = text.substr(syms[i].begin, syms[i].len);
    if (const int32_t id = lookup(piece); id != kNone) {
      out.push_back(id);
      continue;
    }
    for (char ch : piece) {
      const int32_t id = byte_token(uint8_t(ch));
      if (id != kNone) out.push_back(id);
      else if (unk != kNone) out.push_back(unk);
    }
  }
}

}  // namespace minnow
