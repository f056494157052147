#pragma once
// Command lines of `minnow bench` (the orchestrator) and `minnow bench-worker` (one measured
// run in a child process), and how the orchestrator turns the first into the second.
#include <cstdint>
#include <string>
#include <vector>

namespace minnow::cli::bench {

inline constexpr const char* kEngineMinnow = "minnow";
inline constexpr const char* kEngineLlama = "llama.cpp";

struct BenchOptions {
  std::string model_path;
  int n_prompt = 512;
  int n_gen = 128;
  std::vector<int> threads;  // empty: default_thread_count()
  int reps = 3;
  int n_ctx = 4096;
  int n_batch = 0;           // Minnow's prefill chunk; 0: the engine's default
  bool json = false;
  bool peer = false;         // --peer llama.cpp
  std::string peer_fa = "auto";  // llama.cpp flash attention: on | off | auto (its own default)
  int bandwidth_mib = 0;     // bandwidth test buffer; 0: several times the last-level cache
  bool pack_cache = true;    // Minnow's packed-weights cache (--no-pack-cache: repack every run)
  std::string rounding = "fast";  // Minnow's kernel table: fast | llama.cpp (--rounding)
};

struct WorkerOptions {
  std::string engine;  // kEngineMinnow or kEngineLlama
  std::string model_path;
  int n_prompt = 0;    // 0: a one-token prompt that is not timed as a test
  int n_gen = 0;
  int n_threads = 1;
  int n_ctx = 4096;
  int n_batch = 0;
  std::string peer_fa = "auto";
  uint64_t seed = 0;
  int result_fd = 1;   // where the one JSON result line goes
  bool pack_cache = true;
  std::string rounding = "fast";
};

// Both throw minnow::Error with a one-line message on bad arguments. argv[0] is the subcommand.
BenchOptions parse_bench_options(int argc, char** argv);
WorkerOptions parse_worker_options(int argc, char** argv);

// The bench-worker argument list (without the program path) for one run.
std::vector<std::string> worker_args(const WorkerOptions& w);

// "1,2,4" -> {1, 2, 4}; throws on anything else.
std::vector<int> parse_int_list(const std::string& text, const std::string& option, int lo, int hi);

inline constexpr const char* kBenchUsage =
    "usage: minnow bench MODEL.gguf [-p 512] [-n 128] [-t 1,2] [-r 3] [-c 4096] [-b BATCH] [--json] "
    "[--peer llama.cpp] [--peer-fa auto|on|off] [--bw-mib MIB] [--no-pack-cache] [--rounding fast|llama.cpp]";

}  // namespace minnow::cli::bench
