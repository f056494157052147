// Every crafted defect must raise one minnow::Error naming the file and the problem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "gguf/gguf.h"
#include "malformed.h"
#include "util/error.h"

namespace fs = std::filesystem;
using minnow::gguf::File;
namespace crafted = minnow::gguf::crafted;

namespace {

class Malformed : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("minnow_gguf_malformed_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Opens `path` and returns the error message ("" and a test failure if it did not throw).
  static std::string open_error(const std::string& path) {
    try {
      File::open(path);
    } catch (const minnow::Error& e) {
      return e.what();
    }
    ADD_FAILURE() << path << ": opened without error";
    return "";
  }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = (dir_ / (name + ".gguf")).string();
    crafted::write_bytes(path, bytes);
    return path;
  }

  void expect_cases(const std::vector<crafted::Case>& cases) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.name);
      const std::string path = write(c.name, c.bytes);
      const std::string msg = open_error(path);
      EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;  // starts with the path
      EXPECT_NE(msg.find(c.expect), std::string::npos) << "message: " << msg << "\nwanted: " << c.expect;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }

  fs::path dir_;
};

TEST_F(Malformed, BaseFileIsValid) {
  const auto bytes = crafted::valid_small_file(dir_.string());
  auto f = File::open(write("base", bytes));
  EXPECT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->kv().size(), 9u);
  EXPECT_EQ(f->tensor("tensor_b")->offset, f->data_offset() + 64);
}

TEST_F(Malformed, Version2IsAccepted) {
  auto bytes = crafted::valid_small_file(dir_.string());
  bytes[4] = 2;
  EXPECT_EQ(File::open(write("v2", bytes))->version(), 2u);
}

TEST_F(Malformed, EveryCraftedDefectIsReported) {
  const auto cases = crafted::malformed_cases(dir_.string());
  EXPECT_GE(cases.size(), 25u);
  expect_cases(cases);
}

TEST_F(Malformed, TruncationsAreReported) { expect_cases(crafted::truncated_cases(dir_.string())); }

TEST_F(Malformed, EveryPrefixIsRejected) {
  const auto bytes = crafted::valid_small_file(dir_.string());
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    const std::string path = write("prefix", std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(n)));
    const std::string msg = open_error(path);
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  }
}

// Random corruption: whatever happens, the only acceptable failure is a minnow::Error (no crash,
// no bad_alloc, no sanitizer report). Seeded, so a failure reproduces.
TEST_F(Malformed, RandomCorruptionOnlyThrowsError) {
  const auto base = crafted::valid_small_file(dir_.string());
  std::mt19937_64 rng(12345);
  const uint64_t specials[] = {0, 1, 3, 5, 9, 13, 64, 0xff, uint64_t(1) << 31, uint64_t(1) << 32,
                               uint64_t(1) << 60, uint64_t(1) << 63, ~uint64_t(0)};
  // MINNOW_FUZZ_ITERS raises the count for a longer local soak.
  const char* env = std::getenv("MINNOW_FUZZ_ITERS");
  const int iters = env != nullptr ? std::atoi(env) : 400;
  int opened = 0, rejected = 0;
  for (int iter = 0; iter < iters; ++iter) {
    auto b = base;
    const int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = size_t(rng() % b.size());
      if (rng() % 2 == 0) {
        b[at] = uint8_t(rng());
      } else {
        const uint64_t v = specials[rng() % std::size(specials)];
        for (size_t k = 0; k < 8 && at + k < b.size(); ++k) b[at + k] = uint8_t(v >> (8 * k));
      }
    }
    if (rng() % 4 == 0) b.resize(size_t(rng() % b.size()));
    const std::string path = write("fuzz", b);
    try {
      auto f = File::open(path);
      ++opened;
      for (const auto& t : f->tensors()) {  // a file that opens must have its data in bounds
        ASSERT_LE(t.offset + t.nbytes, f->file_size()) << "iteration " << iter;
      }
    } catch (const minnow::Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": non-minnow exception " << e.what();
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(opened, 0);  // some edits only touch tensor data or values
}

TEST_F(Malformed, DirectoryAndMissingPath) {
  EXPECT_NE(open_error(dir_.string()).find("not a regular file"), std::string::npos);
  const std::string missing = (dir_ / "does_not_exist.gguf").string();
  const std::string msg = open_error(missing);
  EXPECT_NE(msg.find(missing + ": cannot open"), std::string::npos) << msg;
}

TEST_F(Malformed, CraftedModelsAreValidGguf) {
  const std::string vocab = std::string(MINNOW_SHARED_DIR) + "/vocab/ggml-vocab-llama-spm.gguf";
  const std::string ok = (dir_ / "ok.gguf").string();
  const std::string missing = (dir_ / "missing.gguf").string();
  const std::string shape = (dir_ / "shape.gguf").string();
  crafted::write_llama_model(ok, vocab, crafted::ModelDefect::kNone);
  crafted::write_llama_model(missing, vocab, crafted::ModelDefect::kMissingTensor);
  crafted::write_llama_model(shape, vocab, crafted::ModelDefect::kWrongShape);
  auto f = File::open(ok);
  EXPECT_EQ(f->req_str("general.architecture"), "llama");
  EXPECT_EQ(f->tensors().size(), 12u);
  EXPECT_EQ(f->find("tokenizer.ggml.tokens")->count, f->req_uint("llama.vocab_size"));
  auto v = File::open(vocab);
  EXPECT_EQ(f->find("tokenizer.ggml.scores")->array_float(100), v->find("tokenizer.ggml.scores")->array_float(100));
  EXPECT_EQ(File::open(missing)->tensor("blk.0.ffn_down.weight"), nullptr);
  EXPECT_EQ(File::open(shape)->tensor("blk.0.attn_q.weight")->dims, (std::vector<uint64_t>{16, 8}));
}

}  // namespace
