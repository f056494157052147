// Forward-pass invariants on tiny synthetic models of each architecture: batching and the KV
// cache must not change results, and the loader must reject what it cannot run.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>

#include "model/synth.h"
#include "model/test_models.h"
#include "ops/ops.h"
#include "runtime/session.h"
#include "util/error.h"

namespace minnow {
namespace {

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

class ModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelTest, BatchedPrefillMatchesTokenByToken) {
  const auto model = Model::load(make_model(GetParam(), DType::F32));
  ThreadPool pool(2);
  const ExecContext ctx{kernels::reference_kernels(), pool};
  const std::vector<int32_t> tokens = {9707, 11, 1879, 0, 576, 374, 264, 1273, 315, 279, 3974};
  const size_t nv = size_t(model->hparams().n_vocab);

  Session batched(*model, ctx, SessionOptions{64, 4});  // chunks of 4: crosses chunk borders
  const auto all = batched.eval_all(tokens);
  ASSERT_EQ(all.size(), tokens.size() * nv);

  Session single(*model, ctx, SessionOptions{64, 1});
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto l = single.eval(std::span(tokens).subspan(i, 1));
    for (float v : l) ASSERT_TRUE(std::isfinite(v));
    EXPECT_LT(max_abs_diff(l.data(), all.data() + i * nv, nv), 1e-3f) << "position " << i;
  }
}

TEST_P(ModelTest, TruncateThenReevaluateGivesSameLogits) {
  const auto model = Model::load(make_model(GetParam(), DType::Q8_0));
  ThreadPool pool(1);
  const ExecContext ctx{kernels::best_kernels(kernels::detect_cpu_features()), pool};
  Session s(*model, ctx, SessionOptions{32, 8});
  const std::vector<int32_t> a = {100, 200, 300, 400, 500};
  const std::vector<int32_t> b = {600, 700};
  s.eval(a);
  s.eval(b);
  s.eval(b);  // the cache now holds a + b + b; go back to a and take the other path
  s.truncate(a.size());
  const auto again = s.eval(b);
  Session fresh(*model, ctx, SessionOptions{32, 8});
  fresh.eval(a);
  const auto ref = fresh.eval(b);
  EXPECT_LT(max_abs_diff(again.data(), ref.data(), ref.size()), 1e-4f);
  EXPECT_EQ(s.tokens().size(), a.size() + b.size());
}

TEST_P(ModelTest, InputBeyondContextIsAnErrorAndChangesNothing) {
  const auto model = Model::load(make_model(GetParam(), DType::Q8_0));
  ThreadPool pool(1);
  const ExecContext ctx{kernels::reference_kernels(), pool};
  Session s(*model, ctx, SessionOptions{8, 4});
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  s.eval(five);
  EXPECT_THROW(s.eval(five), Error);
  EXPECT_EQ(s.tokens().size(), 5u);
  const std::vector<int32_t> bad = {-1};
  EXPECT_THROW(s.eval(bad), Error);
}

// Weights repacked for this CPU compute what the plain rows do: every packed matrix of a layer
// and the output (same integer dots; only the float summation order differs), and embedding
// rows read back from a tied, packed table exactly. Compared per matmul, not through the whole
// model, where a 1-ulp difference can flip one int8 rounding and spread.
// The best table as it is, and with every row longer than 256 columns in panels (the tiny
// models' ffn_down: 768 columns, 3 panels).
std::vector<kernels::KernelTable> packing_tables() {
  const kernels::KernelTable& best = kernels::best_kernels(kernels::detect_cpu_features());
  kernels::KernelTable panels = best;
  panels.panel_cols = 256;
  kernels::KernelTable whole = best;
  whole.panel_cols = 0;
  return {whole, panels};
}

TEST_P(ModelTest, PackedWeightsComputeWhatPlainRowsDo) {
  const std::vector<kernels::KernelTable> tables = packing_tables();
  for (const kernels::KernelTable& kt : tables) {
    for (const DType t : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
      if (kt.for_type(t).packed.rows == 0) continue;
      const std::string path = make_model(GetParam(), t);
      ThreadPool pool(2);
      const auto plain = Model::load(path);
      const auto packed = Model::load(path, &kt, &pool);  // packing split over the pool
      EXPECT_EQ(plain->packed_bytes(), 0u);
      ASSERT_GT(packed->packed_bytes(), 0u) << dtype_info(t).name;
      const ExecContext ctx{kt, pool};
      const auto& pl = plain->layers[0];
      const auto& pk = packed->layers[0];
      const std::pair<const WeightView*, const WeightView*> pairs[] = {
          {&pl.wq, &pk.wq}, {&pl.wk, &pk.wk}, {&pl.wv, &pk.wv}, {&pl.wo, &pk.wo}, {&pl.w_gate, &pk.w_gate},
          {&pl.w_up, &pk.w_up}, {&pl.w_down, &pk.w_down}, {&plain->output, &packed->output}};
      std::mt19937 rng(3);
      std::normal_distribution<float> dist(0.0f, 1.0f);
      int n_packed = 0;
      for (const auto& [wp, wk] : pairs) {
        n_packed += wk->packed != nullptr;
        for (const int64_t nb : {1, 5}) {
          std::vector<float> x(size_t(nb * wp->cols));
          for (float& v : x) v = dist(rng);
          std::vector<float> ya(size_t(nb * wp->rows)), yb(ya.size());
          std::vector<uint8_t> scratch;
          ops::matmul(ctx, *wp, x.data(), nb, ya.data(), scratch);
          ops::matmul(ctx, *wk, x.data(), nb, yb.data(), scratch);
          float scale = 0;
          for (float v : ya) scale = std::max(scale, std::fabs(v));
          EXPECT_LT(max_abs_diff(ya.data(), yb.data(), ya.size()), 1e-5f * scale)
              << dtype_info(t).name << " nb=" << nb << " panel_cols=" << kt.panel_cols;
        }
      }
      EXPECT_GT(n_packed, 0) << dtype_info(t).name;
      EXPECT_EQ(packed->layers[0].w_down.panels(), kt.panel_cols == 256 ? 3 : 1) << dtype_info(t).name;
      EXPECT_EQ(packed->token_embd.packed != nullptr, packed->tied_output && packed->output.packed != nullptr);
      std::vector<float> ea(size_t(plain->hparams().n_embd)), eb(ea.size());
      for (const int64_t id : {int64_t(0), int64_t(7), int64_t(8), int64_t(9707), int64_t(plain->hparams().n_vocab) - 1}) {
        ops::embed_row(plain->token_embd, id, ea.data());
        ops::embed_row(packed->token_embd, id, eb.data());
        EXPECT_EQ(ea, eb) << dtype_info(t).name << " token " << id;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, ModelTest, ::testing::Values("qwen2-tiny", "qwen3-tiny", "llama-tiny"));

TEST(ModelLoad, ArchitectureAndShapesAreChecked) {
  const auto model = Model::load(make_model("qwen3-tiny", DType::F16));
  EXPECT_EQ(model->spec().arch, Arch::Qwen3);
  EXPECT_EQ(model->hparams().n_layer, 2);
  EXPECT_EQ(model->hparams().head_dim, 64);
  EXPECT_TRUE(model->tied_output);
  EXPECT_FALSE(model->layers[0].q_norm.empty());
  const auto llama = Model::load(make_model("llama-tiny", DType::F16));
  EXPECT_EQ(llama->rope_freqs.size(), 32u);  // Llama 3 rope scaling travels as rope_freqs
}

}  // namespace
}  // namespace minnow
