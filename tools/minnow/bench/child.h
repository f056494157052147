#pragma once
// Runs one bench-worker in a child process (this very binary, re-executed), so that its peak
// RSS and its time to first token belong to that run and that engine alone.
#include <cstdint>

#include "bench/options.h"
#include "bench/worker.h"

namespace minnow::cli::bench {

struct ChildRun {
  WorkerResult result;
  uint64_t peak_rss_bytes = 0;  // the child's ru_maxrss from wait4()
  double ttft_s = 0;            // fork -> first generated token (both CLOCK_MONOTONIC)
  double wall_s = 0;            // fork -> child reaped
};

// Forks, re-executes /proc/self/exe as `bench-worker` with w's settings, reads its result line
// from a pipe and reaps it. Throws minnow::Error if the child fails (with its own message when it
// reported one).
ChildRun run_child(WorkerOptions w);

}  // namespace minnow::cli::bench
