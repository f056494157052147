// Minnow against llama.cpp, token for token: the oracle protocol of oracle.h on a tiny generated
// llama model, and on any real models listed in MINNOW_ORACLE_MODELS (colon-separated paths).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
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

// Acceptance bounds of the core issue: mean KL(llama.cpp || minnow) per position, and the
// same top-1 token wherever llama.cpp's top-2 margin exceeds 0.1.
double kl_bound(QuantMix mix) {
  return mix == QuantMix::F32 || mix == QuantMix::F16 || mix == QuantMix::BF16 ? 1e-4 : 5e-3;
}

// Minnow's AVX2 kernels and ops round where llama.cpp's x86 AVX2 build rounds (its exp, its
// summation orders, its FMAs, its one-row dots for a single-token pass), so on a CPU where
// llama.cpp runs that build (AVX2, no AVX-512, no AVX-VNNI) the logits are identical for every
// type but Q8_0, Q6_K and Q4_K: the fast table's packed kernels for Q8_0 and Q6_K sum a row's
// products in fewer float steps than llama.cpp, and its packed Q4_K follows llama.cpp's GEMV
// but not its GEMM for prefill batches (see kernels/x86/avx2_packed_q4_k.cpp). The
// llama.cpp-rounding table (kernels::Rounding::LlamaCpp) takes llama.cpp's steps there too, and
// is identical for every type, free greedy runs included. With identical layers the top-1 token
// is the same everywhere. Otherwise (the fast table's Q8_0, Q6_K, Q4_K, another llama.cpp
// build) a 1-ulp difference can flip one int8 rounding of an activation and move later logits
// by a few tenths on these random models (llama.cpp differs from itself by as much when only
// its kernel path changes; OracleLong measures it), so the top-1 check there allows 2% of
// positions, and more only where Minnow is nearer than llama.cpp to the float computation
// (expect_nearer_to_float_than_llama).
bool rounds_like_llama_build() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !__builtin_cpu_supports("avx512f") &&
         !__builtin_cpu_supports("avxvnni");
#else
  return false;
#endif
}

constexpr double kMinTop1RateOtherwise = 0.98;

// Ulp-level differences in the output matrix alone (a Q6_K one in these files) stay far below
// this; any difference inside the layers grows past it.
constexpr double kIdenticalLayersKl = 1e-10;
// A free greedy run may part from llama.cpp only at a step that the issue itself counts as
// undecided: llama.cpp's own top-2 margin there is at most 0.1; or, past it, where the float
// computation on the same weights takes Minnow's token (llama.cpp's rounding decided it).
constexpr double kTieMargin = 0.1;

// With the table that rounds as llama.cpp (kernels::Rounding::LlamaCpp) the logits of every
// position and the free greedy tokens are llama.cpp's, bit for bit, for every type.
void expect_identical_with_llama_rounding(const std::string& path, const Reference& r) {
  const Comparison c = compare_logits(r.logits, minnow_logits(path, r.tokens(), true), r.n_vocab);
  std::printf("[oracle] %s, llama.cpp rounding: %s\n", path.c_str(), c.summary().c_str());
  EXPECT_LE(c.mean_kl, kIdenticalLayersKl) << path << " (llama.cpp rounding): " << c.summary();
  EXPECT_EQ(c.top1_agree, c.top1_checked) << path << " (llama.cpp rounding): " << c.summary();
  const std::vector<int32_t> gen = minnow_greedy(path, r.prompt, int(r.continuation.size()), true);
  EXPECT_EQ(gen, r.continuation) << path << " (llama.cpp rounding): free greedy parts at token "
                                 << matching_prefix(gen, r.continuation);
}

std::filesystem::path model_dir();

// Where Minnow's top-1 token parts from llama.cpp's at more positions than llama.cpp's own
// kernel paths part from each other (min_top1_rate), the parting must come from llama.cpp's
// rounding, not Minnow's: against the float computation on the same weights (the file
// dequantized to F32 by `minnow quantize`, run by llama.cpp), Minnow must be the nearer of the
// two, in mean KL and in top-1 disagreements. (The AMX table's wide GEMMs take bf16
// activations where llama.cpp takes int8 blocks; on the tiny Q4_0 and Q8_0 models they came out
// ~6x nearer the float result in mean KL than llama.cpp.)
// llama.cpp's logits for `tokens` on the float computation of `path`'s weights: the file
// dequantized to F32 by `minnow quantize` (written beside the test models, removed after).
std::vector<float> float_logits(const std::string& path, const std::vector<int32_t>& tokens) {
  const std::string f32 = (model_dir() / ("f32-of-" + std::filesystem::path(path).filename().string())).string();
  const std::string cmd = std::string(MINNOW_BINARY_DIR) + "/minnow quantize " + path + " " + f32 + " F32 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw Error("failed: " + cmd);
  std::vector<float> logits = peer::LlamaPeer::load(f32, ReferenceOptions::default_peer_options())->eval_all_logits(tokens);
  std::filesystem::remove(f32);
  return logits;
}

void expect_nearer_to_float_than_llama(const std::string& path, const Reference& r, const std::vector<float>& ours) {
  const std::vector<float> exact = float_logits(path, r.tokens());
  const Comparison theirs = compare_logits(exact, r.logits, r.n_vocab);
  const Comparison mine = compare_logits(exact, ours, r.n_vocab);
  std::printf("[oracle] %s vs its float computation: llama.cpp %s; minnow %s\n", path.c_str(), theirs.summary().c_str(),
              mine.summary().c_str());
  EXPECT_LE(mine.mean_kl, theirs.mean_kl) << path << ": parts from llama.cpp and is further from the float result";
  EXPECT_LE(mine.top1_checked - mine.top1_agree, theirs.top1_checked - theirs.top1_agree)
      << path << ": parts from llama.cpp and disagrees with the float result more often";
}

// identical_layers: every matrix inside the layers has a type whose kernels round as
// llama.cpp's do; checked where rounds_like_llama_build(). llama_identical: with the
// llama.cpp-rounding table too, free greedy run included (every type).
// min_top1_rate: the top-1 bound where layers are not identical (OracleLong sets its own, from
// llama.cpp's floor).
Comparison expect_matches_llama(const std::string& path, double max_mean_kl, bool free_greedy = false,
                                bool identical_layers = false, bool llama_identical = false,
                                double min_top1_rate = kMinTop1RateOtherwise) {
  const Reference r = make_reference(path, kPromptText);
  const std::vector<float> ours = minnow_logits(path, r.tokens());
  const Comparison c = compare_logits(r.logits, ours, r.n_vocab);
  EXPECT_LE(c.mean_kl, max_mean_kl) << path << ": " << c.summary();
  if (identical_layers && rounds_like_llama_build()) {
    EXPECT_LE(c.mean_kl, kIdenticalLayersKl) << path << ": " << c.summary();
    EXPECT_EQ(c.top1_agree, c.top1_checked) << path << ": " << c.summary();
  } else if (c.top1_rate() < min_top1_rate) {
    expect_nearer_to_float_than_llama(path, r, ours);
  }
  std::printf("[oracle] %s: %s\n", path.c_str(), c.summary().c_str());
  if (free_greedy) {
    const std::vector<int32_t> gen = minnow_greedy(path, r.prompt, int(r.continuation.size()));
    const size_t same = matching_prefix(gen, r.continuation);
    if (same < gen.size()) {
      const double margin = top2_margin(std::span<const float>(r.logits).subspan(
          (r.prompt.size() - 1 + same) * size_t(r.n_vocab), size_t(r.n_vocab)));
      std::printf("[oracle] %s: free greedy parts at token %zu, llama.cpp top-2 margin there %.4g\n",
                  path.c_str(), same, margin);
      if (margin >= kTieMargin) {
        // Past the tie margin only where the float computation takes Minnow's token there.
        std::vector<int32_t> context = r.prompt;
        context.insert(context.end(), gen.begin(), gen.begin() + std::ptrdiff_t(same));
        const std::vector<float> exact = float_logits(path, context);
        const float* last = exact.data() + (context.size() - 1) * size_t(r.n_vocab);
        const int32_t float_token = int32_t(std::max_element(last, last + r.n_vocab) - last);
        std::printf("[oracle] %s: the float computation takes token %d there (top-2 margin %.4g); minnow %d, llama.cpp %d\n",
                    path.c_str(), float_token, top2_margin(std::span<const float>(last, size_t(r.n_vocab))), gen[same],
                    r.continuation[same]);
        EXPECT_EQ(float_token, gen[same]) << path << ": free greedy generation diverges at token " << same
                                          << " where llama.cpp's top-2 margin is " << margin
                                          << " and the float computation takes llama.cpp's token";
      }
    }
  }
  if (llama_identical && rounds_like_llama_build()) expect_identical_with_llama_rounding(path, r);
  return c;
}

TEST(Oracle, MinnowMatchesLlamaOnTinyF32Llama) {
  expect_matches_llama(testing::cached_tiny_llama(), 1e-4, false, true, true);
}

// Minnow's own synthetic models (`minnow synth`), each written once per build directory.
struct SynthCase {
  const char* config;
  const char* vocab;
  QuantMix mix;
};

void PrintTo(const SynthCase& c, std::ostream* os) { *os << c.config << "/" << quant_mix_name(c.mix); }

std::filesystem::path model_dir() {
  const std::filesystem::path dir = std::filesystem::path(MINNOW_BINARY_DIR) / "test-models";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string cached_synth(const SynthCase& c) {
  const std::filesystem::path path =
      model_dir() / (std::string("synth-") + c.config + "-" + std::string(quant_mix_name(c.mix)) + ".gguf");
  if (!std::filesystem::exists(path)) {
    const SynthConfig* cfg = find_synth_config(c.config);
    if (!cfg) throw Error(std::string("no synth config ") + c.config);
    const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid());
    write_synthetic_model(*cfg, std::string(MINNOW_SHARED_DIR) + "/vocab/" + c.vocab, tmp, c.mix, 7, 2);
    std::filesystem::rename(tmp, path);
  }
  return path.string();
}

std::string case_name(const ::testing::TestParamInfo<SynthCase>& info) {
  std::string name = std::string(info.param.config) + "_" + std::string(quant_mix_name(info.param.mix));
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class OracleSynth : public ::testing::TestWithParam<SynthCase> {};

TEST_P(OracleSynth, MinnowMatchesLlama) {
  const SynthCase& c = GetParam();
  const bool greedy = c.mix == QuantMix::F16 || c.mix == QuantMix::Q8_0;
  // The _M mixes put Q4_K and Q6_K in some layers.
  const bool identical = c.mix != QuantMix::Q8_0 && c.mix != QuantMix::Q6_K && c.mix != QuantMix::Q4_K_S &&
                         c.mix != QuantMix::Q3_K_M && c.mix != QuantMix::Q4_K_M && c.mix != QuantMix::Q5_K_M;
  expect_matches_llama(cached_synth(c), kl_bound(c.mix), greedy, identical, true);
}

std::vector<SynthCase> all_cases() {
  const QuantMix mixes[] = {QuantMix::F32,  QuantMix::F16,  QuantMix::BF16,   QuantMix::Q8_0,
                            QuantMix::Q4_0, QuantMix::Q4_1, QuantMix::Q5_0,   QuantMix::Q5_1,
                            QuantMix::Q2_K, QuantMix::Q3_K_S, QuantMix::Q4_K_S, QuantMix::Q5_K_S,
                            QuantMix::Q6_K, QuantMix::Q3_K_M, QuantMix::Q4_K_M, QuantMix::Q5_K_M};
  std::vector<SynthCase> cases;
  for (const auto& [config, vocab] : {std::pair{"llama-tiny", "ggml-vocab-llama-bpe.gguf"},
                                      std::pair{"qwen2-tiny", "ggml-vocab-qwen2.gguf"},
                                      std::pair{"qwen3-tiny", "ggml-vocab-qwen2.gguf"}})
    for (QuantMix m : mixes) cases.push_back({config, vocab, m});
  return cases;
}

// Every architecture x every tensor type (Q3_K_S/Q4_K_S/Q5_K_S put nearly every matrix in
// Q3_K/Q4_K/Q5_K) and the _M mixes.
INSTANTIATE_TEST_SUITE_P(Tiny, OracleSynth, ::testing::ValuesIn(all_cases()), case_name);

// `minnow quantize` output (from an F32 model, through the real CLI) loads in llama.cpp and
// matches it.
class OracleQuantize : public ::testing::TestWithParam<const char*> {};

TEST_P(OracleQuantize, QuantizedFileMatchesLlama) {
  const std::string src = cached_synth({"qwen2-tiny", "ggml-vocab-qwen2.gguf", QuantMix::F32});
  const std::string out = (model_dir() / (std::string("quantized-qwen2-tiny-") + GetParam() + ".gguf")).string();
  const std::string cmd = std::string(MINNOW_BINARY_DIR) + "/minnow quantize " + src + " " + out + " " + GetParam() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  expect_matches_llama(out, 5e-3, false, false, true);
}

INSTANTIATE_TEST_SUITE_P(Cli, OracleQuantize, ::testing::Values("Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q3_K_M", "q6_K"));

// Full-size DeepSeek-R1-Distill-Qwen-1.5B shapes in Q4_K_M (ctest label "long").
TEST(OracleLong, Qwen2_1_5B_Q4_K_M) {
  if (!std::getenv("MINNOW_LONG_TESTS")) GTEST_SKIP() << "set MINNOW_LONG_TESTS=1 (ctest -L long does)";
  const std::string path = cached_synth({"qwen2-1.5b", "ggml-vocab-qwen2.gguf", QuantMix::Q4_K_M});
  const Comparison ours = expect_matches_llama(path, 5e-3, false, false, true, /*min_top1_rate=*/0.0);
  // llama.cpp's own noise floor: the same file through its other kernel path (no repacking).
  ReferenceOptions other;
  other.peer.repack_weights = false;
  const Reference r = make_reference(path, kPromptText);
  auto plain = peer::LlamaPeer::load(path, other.peer);
  const Comparison floor = compare_logits(r.logits, plain->eval_all_logits(r.tokens()), r.n_vocab);
  std::printf("[oracle] llama.cpp repacked vs plain kernels: %s\n", floor.summary().c_str());
  EXPECT_LE(ours.mean_kl, 2.0 * floor.mean_kl + 1e-6)
      << "Minnow strays further from llama.cpp than llama.cpp's own kernel paths do: ours "
      << ours.summary() << " vs floor " << floor.summary();
  // The same rule for top-1: at most twice llama.cpp's own disagreements, plus one. Which
  // positions flip depends on llama.cpp's build for the CPU (its AVX2 and its Zen 4 builds
  // round differently), so a fixed share of ~80 positions would test the build, not Minnow.
  const int64_t ours_off = ours.top1_checked - ours.top1_agree;
  const int64_t floor_off = floor.top1_checked - floor.top1_agree;
  EXPECT_LE(ours_off, 2 * floor_off + 1) << "ours " << ours.summary() << " vs floor " << floor.summary();
}

TEST(Oracle, MinnowMatchesLlamaOnListedModels) {
  const char* list = std::getenv("MINNOW_ORACLE_MODELS");
  if (!list || !*list) GTEST_SKIP() << "set MINNOW_ORACLE_MODELS=path.gguf[:path.gguf...]";
  std::stringstream ss(list);
  for (std::string path; std::getline(ss, path, ':');) {
    if (!path.empty()) expect_matches_llama(path, 5e-3);
  }
}

}  // namespace
}  // namespace minnow::oracle
