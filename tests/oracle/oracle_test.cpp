// Minnow against llama.cpp, token for token: the oracle protocol of oracle.h on a tiny generated
// llama model, and on any real models listed in MINNOW_ORACLE_MODELS (colon-separated paths).
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "oracle.h"
#include "tiny_llama.h"

namespace minnow::oracle {
namespace {

const char* kPromptText =
    "The old lighthouse keeper climbed the spiral stairs every evening, counting each step "
    "as the fog rolled in from the grey sea.";

TEST(Oracle, ReferenceFollowsTheProtocol) {
  auto llama = peer::LlamaPeer::load(testing::cached_tiny_llama(), ReferenceOptions::default_peer_options());
  const auto prompt = fit_prompt(*llama, kPromptText, 32);
  ASSERT_EQ(prompt.size(), 32u);
  EXPECT_EQ(prompt[0], llama->bos());
  const Reference r = make_reference(*llama, prompt, 64);
  ASSERT_EQ(r.continuation.size(), 64u);
  ASSERT_EQ(r.logits.size(), 96u * size_t(r.n_vocab));
  // Teacher forcing on llama's own greedy tokens: its argmax at position i is token i + 1.
  const Comparison self = compare_logits(r.logits, r.logits, r.n_vocab);
  EXPECT_EQ(self.mean_kl, 0.0);
  EXPECT_GT(self.top1_checked, 30);
  for (size_t k = 0; k < r.continuation.size(); ++k) {
    const float* row = r.logits.data() + (r.prompt.size() - 1 + k) * size_t(r.n_vocab);
    ASSERT_EQ(int32_t(std::max_element(row, row + r.n_vocab) - row), r.continuation[k]) << k;
  }
  // Short text is repeated to fill the prompt.
  const auto filled = fit_prompt(*llama, "Hi", 5);
  EXPECT_EQ(filled, (std::vector<int32_t>{llama->bos(), 13347, 13347, 13347, 13347}));
}

void expect_matches_llama(const std::string& path, double max_mean_kl, double min_top1) {
  const Reference r = make_reference(path, kPromptText);
  const std::vector<float> ours = minnow_logits(path, r.tokens());
  const Comparison c = compare_logits(r.logits, ours, r.n_vocab);
  EXPECT_LE(c.mean_kl, max_mean_kl) << path << ": " << c.summary();
  EXPECT_GE(c.top1_rate(), min_top1) << path << ": " << c.summary();
  std::printf("[oracle] %s: %s\n", path.c_str(), c.summary().c_str());
}

TEST(Oracle, MinnowMatchesLlamaOnTinyF32Llama) {
  expect_matches_llama(testing::cached_tiny_llama(), 1e-4, 1.0);
}

TEST(Oracle, MinnowMatchesLlamaOnListedModels) {
  const char* list = std::getenv("MINNOW_ORACLE_MODELS");
  if (!list || !*list) GTEST_SKIP() << "set MINNOW_ORACLE_MODELS=path.gguf[:path.gguf...]";
  std::stringstream ss(list);
  for (std::string path; std::getline(ss, path, ':');) {
    if (!path.empty()) expect_matches_llama(path, 5e-3, 0.99);
  }
}

}  // namespace
}  // namespace minnow::oracle
