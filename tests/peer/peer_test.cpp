// The llama.cpp peer against a tiny generated llama model: it must load, tokenize like the
// reference token lists, and evaluate deterministically and consistently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "peer/llama_peer.h"
#include "tiny_llama.h"
#include "util/error.h"

namespace minnow::peer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PeerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ = new std::string(testing::cached_tiny_llama());
    PeerOptions opt;
    opt.n_ctx = 256;
    opt.n_threads = 1;  // llama.cpp workers spin; on an oversubscribed machine 2 threads crawl
    peer_ = LlamaPeer::load(*model_path_, opt).release();
  }
  static void TearDownTestSuite() {
    delete peer_;
    delete model_path_;
  }
  static std::vector<int32_t> prompt() {
    return peer_->tokenize("The quick brown fox jumps over the lazy dog", true, false);
  }

  static inline std::string* model_path_ = nullptr;
  static inline LlamaPeer* peer_ = nullptr;
};

TEST_F(PeerTest, Basics) {
  EXPECT_EQ(peer_->n_vocab(), 128256);
  EXPECT_GE(peer_->n_ctx(), 256);
  EXPECT_EQ(peer_->bos(), 128000);
  EXPECT_TRUE(peer_->is_eog(128001));  // <|end_of_text|>
  EXPECT_FALSE(peer_->is_eog(9906));
  EXPECT_EQ(peer_->token_to_piece(9906), "Hello");
  EXPECT_NE(peer_->description().find("llama"), std::string::npos) << peer_->description();
}

TEST_F(PeerTest, TokenizesLikeReferenceLists) {
  const std::string dir = std::string(MINNOW_SHARED_DIR) + "/vocab/";
  const std::string inp = read_file(dir + "ggml-vocab-llama-bpe.gguf.inp");
  std::istringstream out(read_file(dir + "ggml-vocab-llama-bpe.gguf.out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t start = 0, n_cases = 0;
  for (size_t end; (end = inp.find(sep, start)) != std::string::npos; start = end + sep.size()) {
    const std::string text = inp.substr(start, end - start);
    std::string line;
    ASSERT_TRUE(std::getline(out, line)) << "no expected tokens for case " << n_cases;
    std::vector<int32_t> expected;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) expected.push_back(id);
    EXPECT_EQ(peer_->tokenize(text, false, false), expected) << "text: [" << text << "]";
    ++n_cases;
  }
  EXPECT_GE(n_cases, 40u);
  EXPECT_EQ(peer_->tokenize("Hi", true, false), (std::vector<int32_t>{128000, 13347}));
  EXPECT_EQ(peer_->tokenize("<|eot_id|>", false, true), std::vector<int32_t>{128009});
}

TEST_F(PeerTest, AllLogitsAreFiniteVariedAndDeterministic) {
  const auto tokens = prompt();
  const auto logits = peer_->eval_all_logits(tokens);
  const size_t nv = size_t(peer_->n_vocab());
  ASSERT_EQ(logits.size(), tokens.size() * nv);
  for (float x : logits) ASSERT_TRUE(std::isfinite(x));
  // Different positions see different contexts, so their rows differ.
  EXPECT_NE(std::vector<float>(logits.begin(), logits.begin() + nv),
            std::vector<float>(logits.end() - nv, logits.end()));
  EXPECT_EQ(peer_->eval_all_logits(tokens), logits);  // fresh sequence each time: bit-identical
}

TEST_F(PeerTest, PrefixEvaluationIsCausal) {
  const auto tokens = prompt();
  const size_t nv = size_t(peer_->n_vocab());
  const auto full = peer_->eval_all_logits(tokens);
  const std::vector<int32_t> head(tokens.begin(), tokens.begin() + 4);
  const auto part = peer_->eval_all_logits(head);
  ASSERT_EQ(part.size(), 4 * nv);
  for (size_t i = 0; i < part.size(); ++i) ASSERT_NEAR(part[i], full[i], 1e-4) << "index " << i;
}

TEST_F(PeerTest, GreedyIsRepeatableAndMatchesTeacherForcing) {
  const auto p = prompt();
  const auto a = peer_->greedy(p, 12);
  ASSERT_EQ(a.size(), 12u);
  EXPECT_EQ(peer_->greedy(p, 12), a);
  EXPECT_EQ(peer_->decoded(), a);

  std::vector<int32_t> all = p;
  all.insert(all.end(), a.begin(), a.end());
  const auto logits = peer_->eval_all_logits(all);
  const size_t nv = size_t(peer_->n_vocab());
  for (size_t k = 0; k < a.size(); ++k) {
    const float* row = logits.data() + (p.size() - 1 + k) * nv;
    EXPECT_EQ(int32_t(std::max_element(row, row + nv) - row), a[k]) << "step " << k;
  }
}

TEST_F(PeerTest, DecodeContinuesAfterPrefill) {
  const auto p = prompt();
  const auto expected = peer_->greedy(p, 6);
  EXPECT_GE(peer_->prefill(p), 0.0);
  EXPECT_GE(peer_->decode(2), 0.0);
  EXPECT_GE(peer_->decode(4), 0.0);
  EXPECT_EQ(peer_->decoded(), expected);
}

TEST_F(PeerTest, RejectsBadInput) {
  EXPECT_THROW(peer_->eval_all_logits({}), Error);
  EXPECT_THROW(peer_->eval_all_logits({1, -1}), Error);
  EXPECT_THROW(peer_->eval_all_logits({int32_t(peer_->n_vocab())}), Error);
  EXPECT_THROW(peer_->eval_all_logits(std::vector<int32_t>(size_t(peer_->n_ctx()) + 1, 1)), Error);
  EXPECT_THROW(peer_->token_to_piece(-3), Error);
  EXPECT_THROW(peer_->greedy({1}, -1), Error);
  EXPECT_THROW(LlamaPeer::load(*model_path_ + ".missing"), Error);
}

TEST(PeerLoad, ReportsMissingLibraryClearly) {
  PeerOptions opt;
  opt.lib_dir = "/nonexistent/llama";
  std::string why;
  EXPECT_FALSE(peer_available(opt, &why));
  EXPECT_NE(why.find("/nonexistent/llama"), std::string::npos) << why;
  try {
    LlamaPeer::load("/nonexistent/model.gguf", opt);
    FAIL() << "load succeeded without a library";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama.cpp peer unavailable"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(peer_available());
}

TEST(PeerLoad, ReportsBadModelFile) {
  const std::string path = testing::temp_path("peer-not-a-model.gguf");
  std::ofstream(path) << "definitely not gguf";
  EXPECT_THROW(LlamaPeer::load(path), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace minnow::peer
