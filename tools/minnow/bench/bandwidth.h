#pragma once
// The machine's memory read bandwidth, measured here, as the ceiling ("roofline") for decode:
// a decode step reads every weight once, so tok/s can be at most bandwidth / weight bytes.
#include <cstddef>
#include <vector>

namespace minnow::cli::bench {

struct BandwidthResult {
  int n_threads = 0;
  double gbps = 0;  // best of the runs, 1e9 bytes per second
};

// Bytes the measurement streams through: several times the last-level cache, so the reads come
// from DRAM, clamped to a size a small machine can spare.
size_t bandwidth_buffer_bytes();

// For each thread count: threads sum disjoint slices of one buffer (each thread reads its slice
// once per run), with and without software prefetch; best of `runs` of both. The buffer is freed before returning, so it does not inflate
// the peak RSS of the worker processes forked afterwards.
std::vector<BandwidthResult> measure_read_bandwidth(const std::vector<int>& thread_counts, int runs,
                                                    size_t bytes = bandwidth_buffer_bytes());

}  // namespace minnow::cli::bench
