// Byte-level BPE: pre-tokenize into words, map each byte to its printable stand-in, then
// repeatedly merge the adjacent pair with the lowest merge rank (leftmost on ties).
#include <algorithm>
#include <queue>

#include "tokenizer/tokenizer_impl.h"

namespace minnow {

namespace {

struct Symbol {
  uint32_t begin;  // byte offset into the encoded word
  uint32_t len;    // 0 once merged into its left neighbour
  int32_t id;      // vocabulary id of the symbol's text, kNone if it is not a token
  int32_t prev, next;
};

struct Candidate {
  int32_t rank;
  int32_t left;
  uint32_t left_len, right_len;  // to detect candidates made stale by other merges
  int32_t result;
  bool operator<(const Candidate& o) const {  // std::priority_queue pops the largest
    return rank != o.rank ? rank > o.rank : left > o.left;
  }
};

}  // namespace

void Tokenizer::Impl::encode_bpe(std::string_view text, std::vector<int32_t>& out) const {
  const std::vector<uint32_t> cpts = tok::decode_utf8_lossy(text);
  const auto words = pretok->split(cpts);

  std::string word, raw;
  std::vector<Symbol> syms;
  std::priority_queue<Candidate> queue;
  for (const auto& [wb, we] : words) {
    raw.clear();
    for (size_t i = wb; i < we; ++i) tok::append_utf8(raw, cpts[i]);
    word.clear();
    for (unsigned char c : raw) word += bytes.encode(c);

    if (ignore_merges) {
      if (const int32_t id = lookup(word); id != kNone) {
        out.push_back(id);
        continue;
      }
    }

    syms.clear();
    for (uint32_t off = 0; off < word.size();) {
      const auto n = uint32_t(std::min(tok::utf8_seq_len(uint8_t(word[off])), word.size() - off));
      const auto idx = int32_t(syms.size());
      syms.push_back({off, n, lookup(std::string_view(word).substr(off, n)), idx - 1,
                      off + n == word.size() ? -1 : idx + 1});
      off += n;
    }

    auto sym_text = [&](const Symbol& s) { return std::string_view(word).substr(s.begin, s.len); };
    auto consider = [&](int32_t l) {
      if (l < 0 || syms[l].next < 0) return;
      const Symbol& a = syms[l];
      const Symbol& b = syms[a.next];
      if (a.id != kNone && b.id != kNone) {
        if (const tok::MergeInfo* m = merges.find(tok::pair_key(a.id, b.id)))
          queue.push({m->rank, l, a.len, b.len, m->result});
        return;
      }
      if (odd_merges.empty()) return;
      std::string key(sym_text(a));
      key += '\x1F';
      key += sym_text(b);
      auto it = odd_merges.find(key);
      if (it == odd_merges.end()) return;
      const int32_t result =
          lookup(std::string_view(word).substr(a.begin, size_t(a.len) + b.len));
      queue.push({it->second, l, a.len, b.len, result});
    };

    for (int32_t i = 0; i + 1 < int32_t(syms.size()); ++i) consider(i);
    while (!queue.empty()) {
      const Candidate c = queue.top();
      queue.pop();
      Symbol& a = syms[c.left];
      if (a.len != c.left_len || a.next < 0) continue;
      Symbol& b = syms[a.next];
      if (b.len != c.right_len) continue;
      a.len += b.len;
      a.id = c.result;
      b.len = 0;
      a.next = b.next;
      if (b.next >= 0) syms[b.next].prev = c.left;
      consider(a.prev);
      consider(c.left);
    }

    for (const Symbol& s : syms) {
      if (s.len == 0) continue;
      if (s.id != kNone) {
        out.push_back(s.id);
        continue;
      }
      // Not a token: fall back to single-byte strings; bytes that are no token vanish, as in
      // llama.cpp.
      for (char c : sym_text(s)) {
        if (const int32_t id = lookup(std::string_view(&c, 1)); id != kNone) out.push_back(id);
      }
    }
  }
}

}  // namespace minnow
