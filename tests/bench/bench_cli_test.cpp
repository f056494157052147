// Runs `minnow bench` (the real binary, which re-executes itself for every measured run) on a
// tiny synthetic model and checks its JSON and its table. Timings are never compared: only that
// every figure is there and positive.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#ifdef MINNOW_HAVE_PEER
#include "peer/llama_peer.h"
#endif

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path work_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("minnow-bench-test-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs `minnow ARGS` with stdout and stderr captured to files.
Result minnow(const std::string& args) {
  const fs::path out = work_dir() / "stdout", err = work_dir() / "stderr";
  const std::string cmd = std::string(MINNOW_BINARY_DIR) + "/minnow " + args + " >" + out.string() +
                          " 2>" + err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

class BenchCli : public ::testing::Test {
 protected:
  // Every test runs in its own process (gtest_discover_tests), so the model is made once per
  // build of minnow and kept in the build tree; a temporary name and a rename keep parallel
  // tests from reading a half-written file.
  static void SetUpTestSuite() {
    const fs::path model = fs::path(MINNOW_BINARY_DIR) / "bench-test-qwen2-tiny-q8_0.gguf";
    const fs::path binary = fs::path(MINNOW_BINARY_DIR) / "minnow";
    model_ = model.string();
    std::error_code ec;
    if (fs::exists(model) && fs::last_write_time(model, ec) > fs::last_write_time(binary, ec)) return;
    const fs::path tmp = model.string() + "." + std::to_string(::getpid());
    const auto r = minnow("synth qwen2-tiny " + tmp.string() + " --vocab " + MINNOW_SHARED_DIR +
                          "/vocab/ggml-vocab-qwen2.gguf --type q8_0");
    ASSERT_EQ(r.code, 0) << r.err;
    fs::rename(tmp, model);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(work_dir(), ec);
  }
  // Small bandwidth buffer: the test checks the plumbing, not the machine.
  static std::string bench_args(const std::string& extra) {
    return "bench " + model_ + " -p 16 -n 8 -r 1 -t 1 -c 256 --bw-mib 16 " + extra;
  }
  static std::string model_;
};
std::string BenchCli::model_;

void expect_positive(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  ASSERT_TRUE(j[key].is_number()) << key << " is not a number in " << j.dump();
  EXPECT_GT(j[key].get<double>(), 0.0) << key << " in " << j.dump();
}

// Checks one engine's test line and returns its test name.
std::string check_engine_line(const json& j, const std::string& engine) {
  EXPECT_EQ(j.at("engine"), engine);
  EXPECT_EQ(j.at("type"), "Q8_0");
  EXPECT_TRUE(j.at("model").is_string());
  EXPECT_EQ(j.at("threads"), 1);
  for (const char* key : {"tok_s", "peak_rss_bytes", "ttft_s", "size_bytes", "bandwidth_gbps"}) expect_positive(j, key);
  EXPECT_GE(j.at("tok_s_sd").get<double>(), 0.0);
  const std::string test = j.at("test");
  if (test == "pp16") {
    EXPECT_EQ(j.at("n_prompt"), 16);
    EXPECT_EQ(j.at("n_gen"), 0);
  } else {
    EXPECT_EQ(test, "tg8");
    EXPECT_EQ(j.at("n_prompt"), 0);
    EXPECT_EQ(j.at("n_gen"), 8);
    expect_positive(j, "gbps");
    expect_positive(j, "roofline_pct");
  }
  // A run maps an 80 MB model; a figure far below that would not be the worker's own RSS.
  EXPECT_GT(j.at("peak_rss_bytes").get<double>(), 1e6);
  return test;
}

TEST_F(BenchCli, JsonLinesHaveEveryFigure) {
  const auto r = minnow(bench_args("--json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  std::vector<std::string> tests;
  for (const auto& line : lines) tests.push_back(check_engine_line(json::parse(line), "minnow"));
  EXPECT_EQ(tests, (std::vector<std::string>{"pp16", "tg8"}));
}

TEST_F(BenchCli, TableForPeople) {
  const auto r = minnow(bench_args(""));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tok/s ± sd"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("% roofline"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("memory read bandwidth"), std::string::npos) << r.out;
  int rows = 0;
  for (const auto& line : lines_of(r.out))
    if (line.rfind("| minnow ", 0) == 0) ++rows;
  EXPECT_EQ(rows, 2) << r.out;
}

// The bandwidth is measured before each repetition; the roofline is each repetition's decode
// GB/s over its own measurement, averaged (not the mean tok/s over one bandwidth figure).
TEST_F(BenchCli, RooflineIsEachRepetitionsShareOfItsBandwidth) {
  const auto r = minnow("bench " + model_ + " -p 4 -n 8 -r 3 -t 1 -c 64 --bw-mib 16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  int tg_lines = 0;
  for (const auto& line : lines_of(r.out)) {
    const auto j = json::parse(line);
    if (j.at("test") != "tg8") continue;
    ++tg_lines;
    const auto tok = j.at("samples_tok_s").get<std::vector<double>>();
    const auto bw = j.at("samples_bandwidth_gbps").get<std::vector<double>>();
    ASSERT_EQ(tok.size(), 3u) << line;
    ASSERT_EQ(bw.size(), 3u) << line;
    const double bytes = j.at("decode_read_bytes").get<double>();
    double share = 0, bw_mean = 0;
    for (size_t i = 0; i < 3; ++i) {
      ASSERT_GT(bw[i], 0.0) << line;
      share += 100.0 * bytes * tok[i] / 1e9 / bw[i] / 3;
      bw_mean += bw[i] / 3;
    }
    EXPECT_NEAR(j.at("roofline_pct").get<double>(), share, 1e-9 * share) << line;
    EXPECT_NEAR(j.at("bandwidth_gbps").get<double>(), bw_mean, 1e-9 * bw_mean) << line;
  }
  EXPECT_EQ(tg_lines, 1) << r.out;
}

TEST_F(BenchCli, WorkerPrintsOneResultLine) {
  const auto r = minnow("bench-worker --engine minnow " + model_ + " -p 4 -n 2 -t 1 -c 64");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const auto j = json::parse(lines[0]);
  EXPECT_EQ(j.at("n_prompt"), 4);
  EXPECT_EQ(j.at("n_gen"), 2);
  for (const char* key : {"prefill_s", "decode_s", "first_token_mono_s", "load_s"}) expect_positive(j, key);
  EXPECT_GE(j.at("first_token").get<int>(), 0);
}

TEST_F(BenchCli, WorkerReportsFailureInItsResultLine) {
  const auto r = minnow("bench-worker --engine minnow " + (work_dir() / "missing.gguf").string() + " -p 4 -n 2");
  EXPECT_EQ(r.code, 1);
  const auto j = json::parse(lines_of(r.out).at(0));
  EXPECT_TRUE(j.contains("error")) << r.out;
}

#ifdef MINNOW_HAVE_PEER
TEST_F(BenchCli, PeerRunsBesideMinnowWithRatios) {
  std::string why;
  if (!minnow::peer::peer_available({}, &why)) GTEST_SKIP() << "llama.cpp peer unavailable: " << why;
  const auto r = minnow(bench_args("--json --peer llama.cpp"));
  ASSERT_EQ(r.code, 0) << r.err;
  int per_engine[2] = {0, 0}, ratios = 0;
  for (const auto& line : lines_of(r.out)) {
    const auto j = json::parse(line);
    const std::string engine = j.at("engine");
    if (engine == "minnow/llama.cpp") {
      ++ratios;
      for (const char* key : {"tok_s_ratio", "peak_rss_ratio", "ttft_ratio"}) expect_positive(j, key);
    } else {
      check_engine_line(j, engine);
      ++per_engine[engine == "minnow" ? 0 : 1];
      EXPECT_TRUE(engine == "minnow" || engine == "llama.cpp") << engine;
    }
  }
  EXPECT_EQ(per_engine[0], 2);
  EXPECT_EQ(per_engine[1], 2);
  EXPECT_EQ(ratios, 2);
}
#endif

// Every bad command line: exit code 1, one line on stderr, nothing on stdout.
TEST_F(BenchCli, BadArgumentsGiveOneLineError) {
  const std::string missing = (work_dir() / "missing.gguf").string();
  const std::vector<std::string> cases = {
      "bench",
      "bench " + model_ + " " + model_,
      "bench " + model_ + " -p abc",
      "bench " + model_ + " -t 0",
      "bench " + model_ + " -t 1,,2",
      "bench " + model_ + " -t",
      "bench " + model_ + " -r 0",
      "bench " + model_ + " --peer vllm",
      "bench " + model_ + " --peer-fa maybe",
      "bench " + model_ + " --rounding exact",
      "bench " + model_ + " --frobnicate",
      "bench " + model_ + " -p 0 -n 0",
      "bench " + model_ + " -p 200 -n 100 -c 256",
      "bench " + missing,
  };
  for (const auto& args : cases) {
    const auto r = minnow(args);
    EXPECT_EQ(r.code, 1) << args;
    EXPECT_EQ(r.out, "") << args;
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << args << "\n" << r.err;
    EXPECT_EQ(err[0].rfind("minnow: error: ", 0), 0u) << args << ": " << err[0];
  }
}

}  // namespace
