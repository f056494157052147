#pragma once
// The machine's memory read bandwidth, measured here, as the ceiling ("roofline") for decode:
// a decode step reads every weight once, so tok/s can be at most bandwidth / weight bytes.
#include <cstddef>

namespace minnow::cli::bench {

// Bytes the measurement streams through: several times the last-level cache, so the reads come
// from DRAM, clamped to a size a small machine can spare.
size_t bandwidth_buffer_bytes();

// n_threads threads sum disjoint slices of one buffer (each thread reads its slice once per
// run), with and without software prefetch; the best of `runs` of both, in GB/s (1e9 bytes per
// second). The buffer is freed before returning, so it does not inflate the peak RSS of the
// worker processes forked afterwards.
double measure_read_bandwidth(int n_threads, int runs, size_t bytes = bandwidth_buffer_bytes());

}  // namespace minnow::cli::bench
