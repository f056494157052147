#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "runtime/sampler.h"

namespace minnow {
namespace {

std::vector<float> logits_fixture() { return {0.5f, 3.0f, 2.9f, -1.0f, 1.0f, 2.0f, 0.0f, -4.0f}; }

TEST(Sampler, GreedyPicksArgmax) {
  SamplerParams p;
  p.temperature = 0;
  Sampler s(p);
  EXPECT_EQ(s.sample(logits_fixture(), {}), 1);
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDiffers) {
  SamplerParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0;
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(logits_fixture(), {}));
    return out;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(Sampler, TopKOneAndTinyTopPAreGreedy) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 1;
  Sampler k1(p);
  p.top_k = 0;
  p.top_p = 0.01f;
  Sampler tp(p);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(k1.sample(logits_fixture(), {}), 1);
    EXPECT_EQ(tp.sample(logits_fixture(), {}), 1);
  }
}

TEST(Sampler, MinPKeepsOnlyCloseCandidates) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.5f;  // keeps tokens with prob >= half the best: ids 1 and 2 (logits 3.0, 2.9)
  Sampler s(p);
  std::map<int32_t, int> seen;
  for (int i = 0; i < 200; ++i) ++seen[s.sample(logits_fixture(), {})];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[2], 0);
}

TEST(Sampler, RepeatAndPresencePenaltiesSteerAway) {
  SamplerParams p;
  p.temperature = 0;
  p.repeat_penalty = 1.5f;  // 3.0 / 1.5 = 2.0 < 2.9
  Sampler rep(p);
  const std::vector<int32_t> history = {1};
  EXPECT_EQ(rep.sample(logits_fixture(), history), 2);
  p.repeat_penalty = 1.0f;
  p.presence_penalty = 0.2f;
  Sampler pres(p);
  EXPECT_EQ(pres.sample(logits_fixture(), history), 2);
  p.presence_penalty = 0.0f;
  p.frequency_penalty = 0.06f;  // two occurrences: 3.0 - 0.12 < 2.9
  Sampler freq(p);
  const std::vector<int32_t> twice = {1, 1};
  EXPECT_EQ(freq.sample(logits_fixture(), history), 1);
  EXPECT_EQ(freq.sample(logits_fixture(), twice), 2);
}

}  // namespace
}  // namespace minnow
