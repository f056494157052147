// The vocabulary and merge tables against std::unordered_map on random data: duplicates,
// misses, texts that share prefixes, and growth past the reserved size.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/flat_tables.h"

namespace minnow::tok {
namespace {

std::string random_text(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 12), byte(128, 255), small(0, 3);
  std::string s(size_t(len(rng)), '\0');
  for (char& c : s) c = char(small(rng) == 0 ? byte(rng) : 'a' + small(rng));  // many near-collisions
  return s;
}

TEST(TokenIndex, MatchesMapWithLaterDuplicatesWinning) {
  std::mt19937 rng(5);
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> expected;
  for (int i = 0; i < 20000; ++i) {
    tokens.push_back(random_text(rng));
    expected[tokens.back()] = int32_t(i);
  }
  ASSERT_LT(expected.size(), tokens.size());  // the data does contain duplicates
  const TokenIndex index(tokens);
  for (const auto& [text, id] : expected) EXPECT_EQ(index.find(text), id) << text;
  for (int i = 0; i < 20000; ++i) {
    const std::string probe = random_text(rng) + "#";  // tokens hold only a-d and bytes >= 128
    EXPECT_EQ(index.find(probe), -1);
  }
}

TEST(TokenIndex, EmptyIndexFindsNothing) {
  EXPECT_EQ(TokenIndex().find("a"), -1);
  EXPECT_EQ(TokenIndex(std::vector<std::string>{}).find(""), -1);
}

TEST(MergeTable, MatchesMapKeepingFirstValueAndGrowing) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int32_t> id(0, 300);
  MergeTable table;
  table.reserve(10);  // far fewer than inserted: must grow
  std::unordered_map<uint64_t, MergeInfo> expected;
  for (int32_t rank = 0; rank < 30000; ++rank) {
    const uint64_t key = pair_key(id(rng), id(rng));
    table.insert(key, {rank, rank % 7 - 1});
    expected.emplace(key, MergeInfo{rank, rank % 7 - 1});
  }
  EXPECT_EQ(table.size(), expected.size());
  for (const auto& [key, info] : expected) {
    const MergeInfo* m = table.find(key);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->rank, info.rank);
    EXPECT_EQ(m->result, info.result);
  }
  EXPECT_EQ(table.find(pair_key(301, 0)), nullptr);
  EXPECT_EQ(MergeTable().find(pair_key(1, 2)), nullptr);
}

}  // namespace
}  // namespace minnow::tok
