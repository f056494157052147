#pragma once
// Open-addressing lookup tables for the vocabulary and the BPE merges. A 150k-token vocabulary
// with 150k merges is ~450k lookups at load; node-based maps cost a heap node per entry and two
// or three cache misses per lookup, which made the tokenizer a fifth of a 1.5B model's load.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minnow::tok {

// Token text -> id. Built once from the vocabulary; when a text appears twice the later id
// wins (as an assignment into a map would).
class TokenIndex {
 public:
  TokenIndex() = default;
  explicit TokenIndex(const std::vector<std::string>& tokens);

  int32_t find(std::string_view text) const;  // -1: not a token

 private:
  // The text's place is kept in the slot itself: a lookup touches one slot and the text.
  struct Slot {
    uint32_t fingerprint;  // high hash bits: most mismatches never touch the text
    int32_t id;            // -1: empty
    uint32_t offset, size;  // the text: arena_[offset, offset + size)
  };
  std::string_view text_of(const Slot& s) const { return std::string_view(arena_).substr(s.offset, s.size); }

  std::string arena_;        // every distinct token text, back to back
  std::vector<Slot> slots_;  // power-of-two size, at most two thirds full
};

// A BPE merge rule's priority (lower merges first) and the token it produces (-1 if the
// merged string is not itself in the vocabulary).
struct MergeInfo {
  int32_t rank;
  int32_t result;
};

inline uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

// pair_key(left, right) -> MergeInfo; keys of two non-negative ids.
class MergeTable {
 public:
  void reserve(size_t n);
  // Keeps the first value given for a key (llama.cpp's emplace keeps the first rule too).
  void insert(uint64_t key, MergeInfo info);
  const MergeInfo* find(uint64_t key) const;
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);  // pair_key(-1, -1): never a real pair
  struct Slot {
    uint64_t key;
    MergeInfo info;
  };
  void rehash(size_t n_slots);

  std::vector<Slot> slots_;  // power-of-two size, at most two thirds full
  size_t count_ = 0;
};

}  // namespace minnow::tok
