// Minnow against llama.cpp, token for token: the oracle protocol of oracle.h on a tiny generated
// llama model, and on any real models listed in MINNOW_ORACLE_MODELS (colon-separated paths).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "model/synth.h"
#include "oracle.h"
#include "quant/mix.h"
#include "tiny_llama.h"
#include "util/error.h"

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

// Minnow's own synthetic models (`minnow synth`), each written once per build directory.
struct SynthCase {
  const char* config;
  const char* vocab;
  QuantMix mix;
  double max_mean_kl;
  double min_top1;
};

void PrintTo(const SynthCase& c, std::ostream* os) { *os << c.config << "/" << quant_mix_name(c.mix); }

std::string cached_synth(const SynthCase& c) {
  const std::filesystem::path dir = std::filesystem::path(MINNOW_BINARY_DIR) / "test-models";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path =
      dir / (std::string("synth-") + c.config + "-" + std::string(quant_mix_name(c.mix)) + ".gguf");
  if (!std::filesystem::exists(path)) {
    const SynthConfig* cfg = find_synth_config(c.config);
    if (!cfg) throw Error(std::string("no synth config ") + c.config);
    const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid());
    write_synthetic_model(*cfg, std::string(MINNOW_SHARED_DIR) + "/vocab/" + c.vocab, tmp, c.mix, 7);
    std::filesystem::rename(tmp, path);
  }
  return path.string();
}

class OracleSynth : public ::testing::TestWithParam<SynthCase> {};

TEST_P(OracleSynth, MinnowMatchesLlama) {
  const SynthCase& c = GetParam();
  expect_matches_llama(cached_synth(c), c.max_mean_kl, c.min_top1);
}

INSTANTIATE_TEST_SUITE_P(
    Tiny, OracleSynth,
    // Quantized cases hold Minnow to the same standard as F16: both engines quantize the
    // activations the same way (ggml's q8 formats), so only summation order may differ.
    ::testing::Values(SynthCase{"llama-tiny", "ggml-vocab-llama-bpe.gguf", QuantMix::F16, 1e-4, 1.0},
                      SynthCase{"qwen2-tiny", "ggml-vocab-qwen2.gguf", QuantMix::F16, 1e-4, 1.0},
                      SynthCase{"qwen3-tiny", "ggml-vocab-qwen2.gguf", QuantMix::F16, 1e-4, 1.0},
                      SynthCase{"llama-tiny", "ggml-vocab-llama-bpe.gguf", QuantMix::Q8_0, 1e-4, 1.0},
                      SynthCase{"qwen2-tiny", "ggml-vocab-qwen2.gguf", QuantMix::Q4_0, 1e-4, 1.0},
                      SynthCase{"qwen3-tiny", "ggml-vocab-qwen2.gguf", QuantMix::Q4_K_M, 1e-4, 1.0}),
    [](const ::testing::TestParamInfo<SynthCase>& info) {
      std::string name = std::string(info.param.config) + "_" + std::string(quant_mix_name(info.param.mix));
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

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
