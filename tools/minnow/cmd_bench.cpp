// minnow bench MODEL.gguf [-p 512] [-n 128] [-t 1,2] [-r 3] [--json] [--peer llama.cpp]
// Every measured run is a child process (this binary as `bench-worker`), so each engine's peak
// RSS and time to first token are its own. With a peer the engines alternate run by run.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bandwidth.h"
#include "bench/child.h"
#include "bench/options.h"
#include "bench/report.h"
#include "bench/worker.h"
#include "commands.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace minnow::cli {

namespace {

// Same pseudo-random prompt for every run and engine.
constexpr uint64_t kPromptSeed = 0x6d696e6e6f77ull;
constexpr int kBandwidthRuns = 2;  // per repetition

bench::WorkerOptions worker_for(const bench::BenchOptions& o, const std::string& engine, int threads) {
  bench::WorkerOptions w;
  w.engine = engine;
  w.model_path = o.model_path;
  w.n_prompt = o.n_prompt;
  w.n_gen = o.n_gen;
  w.n_threads = threads;
  w.n_ctx = o.n_ctx;
  w.n_batch = o.n_batch;
  w.peer_fa = o.peer_fa;
  w.pack_cache = o.pack_cache;
  w.rounding = o.rounding;
  w.seed = kPromptSeed;
  return w;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  auto o = bench::parse_bench_options(argc, argv);
  if (o.threads.empty()) o.threads = {default_thread_count()};

  bench::BenchContext ctx;
  ctx.model = bench::read_model_info(o.model_path);
  ctx.n_ctx = o.n_ctx;
  ctx.reps = o.reps;
  ctx.bandwidth_bytes = o.bandwidth_mib > 0 ? size_t(o.bandwidth_mib) << 20 : bench::bandwidth_buffer_bytes();
  ctx.bandwidth_runs = kBandwidthRuns;

  std::vector<std::string> engines = {bench::kEngineMinnow};
  if (o.peer) engines.push_back(bench::kEngineLlama);
  if (o.rounding != "fast") std::fprintf(stderr, "bench: Minnow's kernels round as %s's\n", o.rounding.c_str());

  // Untimed warm-up per engine: page cache, CPU frequency, and a peer that cannot load fails
  // here, before any measuring. Short, since one pass over the weights is all it needs.
  for (const auto& engine : engines) {
    auto w = worker_for(o, engine, o.threads.front());
    w.n_prompt = std::min(o.n_prompt, 16);
    w.n_gen = std::min(o.n_gen, 2);
    std::fprintf(stderr, "bench: warm-up %s\n", engine.c_str());
    bench::run_child(w);
  }

  bench::Report report;
  for (int threads : o.threads) {
    for (int rep = 1; rep <= o.reps; ++rep) {
      // Measured next to the runs it is the roofline of (the buffer is freed again before the
      // workers are forked, so it is not in their RSS).
      const double bw = bench::measure_read_bandwidth(threads, kBandwidthRuns, ctx.bandwidth_bytes);
      ctx.add_bandwidth(threads, bw);
      for (const auto& engine : engines) {
        std::fprintf(stderr, "bench: %s, %d thread%s, run %d/%d\n", engine.c_str(), threads,
                     threads == 1 ? "" : "s", rep, o.reps);
        const auto run = bench::run_child(worker_for(o, engine, threads));
        report.add(engine, threads, o.n_prompt, o.n_gen, run, bw);
      }
    }
  }

  if (o.json) {
    print_bandwidth(ctx, /*to_stderr=*/true);
    report.print_json(ctx);
  } else {
    std::printf("\n");
    print_bandwidth(ctx, /*to_stderr=*/false);
    report.print_table(ctx);
    report.print_ratios();
  }
  return 0;
}

int cmd_bench_worker(int argc, char** argv) {
  const auto w = bench::parse_worker_options(argc, argv);
  bench::WorkerResult r;
  int code = 0;
  try {
    r = bench::run_worker(w);
  } catch (const Error& e) {
    // Reported through the result line, so the bench prints it as its own one-line error.
    r = {};
    r.engine = w.engine;
    r.error = e.what();
    code = 1;
  }
  const std::string line = bench::to_json_line(r) + "\n";
  FILE* out = w.result_fd == 1 ? stdout : fdopen(w.result_fd, "w");
  if (!out) throw Error("bench-worker: cannot write to fd " + std::to_string(w.result_fd));
  std::fputs(line.c_str(), out);
  std::fflush(out);
  return code;
}

}  // namespace minnow::cli
