#include "bench/options.h"

#include <cerrno>
#include <cstdlib>

#include "args.h"
#include "engine.h"
#include "util/error.h"

namespace minnow::cli::bench {

namespace {

constexpr int kMaxTokens = 1 << 20;

void check_fa(const std::string& fa) {
  if (fa != "auto" && fa != "on" && fa != "off")
    throw Error("option --peer-fa: '" + fa + "' is not one of auto, on, off");
}

void check_fits(int n_prompt, int n_gen, int n_ctx) {
  // A run with no prompt still prefills one token to start decoding from.
  const int64_t need = int64_t(n_prompt > 0 ? n_prompt : 1) + n_gen;
  if (need > n_ctx)
    throw Error("-p " + std::to_string(n_prompt) + " plus -n " + std::to_string(n_gen) +
                " tokens do not fit the context of " + std::to_string(n_ctx) + " (raise -c)");
}

}  // namespace

std::vector<int> parse_int_list(const std::string& text, const std::string& option, int lo, int hi) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
      throw Error("option " + option + ": '" + text + "' is not a comma-separated list of integers in [" +
                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(int(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

BenchOptions parse_bench_options(int argc, char** argv) {
  Args args(argc, argv);
  BenchOptions o;
  o.n_prompt = int(args.integer({"-p", "--n-prompt"}, 0, kMaxTokens).value_or(o.n_prompt));
  o.n_gen = int(args.integer({"-n", "--n-gen"}, 0, kMaxTokens).value_or(o.n_gen));
  if (const auto t = args.value({"-t", "--threads"})) o.threads = parse_int_list(*t, "-t", 1, 1024);
  o.reps = int(args.integer({"-r", "--repetitions"}, 1, 1000).value_or(o.reps));
  o.n_ctx = int(args.integer({"-c", "--ctx-size"}, 1, 1 << 24).value_or(o.n_ctx));
  o.n_batch = int(args.integer({"-b", "--batch"}, 1, 1 << 16).value_or(0));
  o.json = args.flag({"--json", "-o"});
  if (const auto peer = args.value({"--peer"})) {
    if (*peer != kEngineLlama) throw Error("option --peer: unknown peer '" + *peer + "' (the only peer is llama.cpp)");
    o.peer = true;
  }
  o.peer_fa = args.value({"--peer-fa"}).value_or(o.peer_fa);
  check_fa(o.peer_fa);
  o.bandwidth_mib = int(args.integer({"--bw-mib"}, 1, 1 << 20).value_or(0));
  o.pack_cache = !args.flag({"--no-pack-cache"});
  o.rounding = args.value({"--rounding"}).value_or(o.rounding);
  (void)parse_rounding(o.rounding);  // rejects a bad value before any run starts
  const auto pos = args.positionals();
  if (pos.size() != 1) throw Error(kBenchUsage);
  o.model_path = pos[0];
  if (o.n_prompt == 0 && o.n_gen == 0) throw Error("nothing to measure: -p and -n are both 0");
  check_fits(o.n_prompt, o.n_gen, o.n_ctx);
  return o;
}

WorkerOptions parse_worker_options(int argc, char** argv) {
  Args args(argc, argv);
  WorkerOptions w;
  w.engine = args.value({"--engine"}).value_or("");
  if (w.engine != kEngineMinnow && w.engine != kEngineLlama)
    throw Error("bench-worker: --engine must be minnow or llama.cpp");
  w.n_prompt = int(args.integer({"-p"}, 0, kMaxTokens).value_or(0));
  w.n_gen = int(args.integer({"-n"}, 0, kMaxTokens).value_or(0));
  w.n_threads = int(args.integer({"-t"}, 1, 1024).value_or(1));
  w.n_ctx = int(args.integer({"-c"}, 1, 1 << 24).value_or(w.n_ctx));
  w.n_batch = int(args.integer({"-b"}, 0, 1 << 16).value_or(0));
  w.peer_fa = args.value({"--peer-fa"}).value_or(w.peer_fa);
  check_fa(w.peer_fa);
  w.seed = uint64_t(args.integer({"--seed"}, 0, INT64_MAX).value_or(0));
  w.result_fd = int(args.integer({"--result-fd"}, 1, 1 << 20).value_or(1));
  w.pack_cache = !args.flag({"--no-pack-cache"});
  w.rounding = args.value({"--rounding"}).value_or(w.rounding);
  (void)parse_rounding(w.rounding);
  const auto pos = args.positionals();
  if (pos.size() != 1)
    throw Error("usage: minnow bench-worker --engine minnow|llama.cpp MODEL.gguf -p N -n N -t T [-c CTX]");
  w.model_path = pos[0];
  check_fits(w.n_prompt, w.n_gen, w.n_ctx);
  return w;
}

std::vector<std::string> worker_args(const WorkerOptions& w) {
  std::vector<std::string> args = {"bench-worker", "--engine", w.engine, w.model_path,
          "-p", std::to_string(w.n_prompt), "-n", std::to_string(w.n_gen),
          "-t", std::to_string(w.n_threads), "-c", std::to_string(w.n_ctx),
          "-b", std::to_string(w.n_batch), "--peer-fa", w.peer_fa,
          "--seed", std::to_string(w.seed), "--result-fd", std::to_string(w.result_fd),
          "--rounding", w.rounding};
  if (!w.pack_cache) args.push_back("--no-pack-cache");
  return args;
}

}  // namespace minnow::cli::bench
