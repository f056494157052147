#include "tokenizer/flat_tables.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>

#include "util/error.h"

namespace minnow::tok {

namespace {

size_t slots_for(size_t n) { return std::bit_ceil(std::max<size_t>(16, n + n / 2)); }

uint64_t mix64(uint64_t x) {  // splitmix64's finalizer: ids are small and dense, spread them
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

TokenIndex::TokenIndex(const std::vector<std::string>& tokens) {
  size_t bytes = 0;
  for (const std::string& t : tokens) bytes += t.size();
  if (bytes > UINT32_MAX || tokens.size() > size_t(INT32_MAX)) throw Error("vocabulary text over 4 GiB");
  arena_.reserve(bytes);
  slots_.assign(slots_for(tokens.size()), Slot{0, -1, 0, 0});
  const size_t mask = slots_.size() - 1;
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string& text = tokens[id];
    const uint64_t h = std::hash<std::string_view>{}(text);
    const auto fp = uint32_t(h >> 32);
    for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s = Slot{fp, int32_t(id), uint32_t(arena_.size()), uint32_t(text.size())};
        arena_ += text;
        break;
      }
      if (s.fingerprint == fp && text_of(s) == text) {
        s.id = int32_t(id);  // a duplicate text: the later id wins
        break;
      }
    }
  }
}

int32_t TokenIndex::find(std::string_view text) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  const uint64_t h = std::hash<std::string_view>{}(text);
  const auto fp = uint32_t(h >> 32);
  for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.fingerprint == fp && text_of(s) == text) return s.id;
  }
}

void MergeTable::reserve(size_t n) {
  if (slots_for(n) > slots_.size()) rehash(slots_for(n));
}

void MergeTable::rehash(size_t n_slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(n_slots, Slot{kEmpty, {}});
  count_ = 0;
  for (const Slot& s : old)
    if (s.key != kEmpty) insert(s.key, s.info);
}

void MergeTable::insert(uint64_t key, MergeInfo info) {
  if (key == kEmpty) return;
  if (3 * (count_ + 1) > 2 * slots_.size()) rehash(slots_for(count_ + 1));
  const size_t mask = slots_.size() - 1;
  for (size_t i = size_t(mix64(key)) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == key) return;
    if (s.key == kEmpty) {
      s = Slot{key, info};
      ++count_;
      return;
    }
  }
}

const MergeInfo* MergeTable::find(uint64_t key) const {
  if (slots_.empty() || key == kEmpty) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = size_t(mix64(key)) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == key) return &s.info;
    if (s.key == kEmpty) return nullptr;
  }
}

}  // namespace minnow::tok
