#pragma once
// One measured run, inside the bench-worker child process: load the model, prefill a fixed
// pseudo-random prompt, decode greedily, report timings as one JSON line.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/options.h"

namespace minnow::cli::bench {

struct WorkerResult {
  std::string engine;
  int n_prompt = 0;        // tokens prefilled (1 when the bench asked for no prompt)
  int n_gen = 0;           // tokens decoded
  int n_threads = 0;
  int n_vocab = 0;
  double load_s = 0;       // model + context setup inside the worker
  double prefill_s = 0;
  double decode_s = 0;
  double first_token_mono_s = 0;  // CLOCK_MONOTONIC when the first generated token was known
  int32_t first_token = -1;
  std::string error;       // non-empty: the run failed with this message
};

// Token ids in [0, n_vocab) from `seed`, identical for every engine (own generator, not a
// library distribution, so the sequence never depends on the standard library's version).
std::vector<int32_t> bench_prompt(int n_vocab, int n, uint64_t seed);

double monotonic_seconds();

// Runs one measurement for w.engine; throws minnow::Error on failure.
WorkerResult run_worker(const WorkerOptions& w);

std::string to_json_line(const WorkerResult& r);
// Throws minnow::Error if the line is not a worker result.
WorkerResult from_json_line(const std::string& line);

}  // namespace minnow::cli::bench
