#pragma once
// Collects the runs into tests (pp512, tg128 per engine and thread count) and prints them: a
// llama-bench-like table for people, or one JSON object per line and test.
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bandwidth.h"
#include "bench/child.h"
#include "bench/model_info.h"

namespace minnow::cli::bench {

struct Stats {
  double mean = 0;
  double sd = 0;  // sample standard deviation; 0 for a single value
};
Stats stats_of(const std::vector<double>& xs);

struct TestRecord {
  std::string engine;
  int threads = 0;
  bool prefill = false;       // pp test; otherwise tg
  int n_tokens = 0;           // tokens of the test (prompt or generated)
  int n_depth = 0;            // tokens already in the context when the test starts (tg: the prompt)
  std::vector<double> tok_s;  // one per repetition
  std::vector<double> ttft_s;
  std::vector<double> load_s;
  // Read bandwidth measured just before each repetition's runs (GB/s), for its roofline.
  std::vector<double> bandwidth_gbps;
  uint64_t peak_rss_bytes = 0;  // the largest over the repetitions

  std::string name() const { return (prefill ? "pp" : "tg") + std::to_string(n_tokens); }
};

// Every bandwidth measurement at one thread count, in order.
struct BandwidthSamples {
  int n_threads = 0;
  std::vector<double> gbps;
};

struct BenchContext {
  ModelInfo model;
  int n_ctx = 0;
  int reps = 0;
  std::vector<BandwidthSamples> bandwidth;
  size_t bandwidth_bytes = 0;
  int bandwidth_runs = 0;
  void add_bandwidth(int threads, double gbps);
};

// Decode's share of the bandwidth roofline, in percent: per repetition, the GB/s its tok/s
// means over the bandwidth measured just before it, averaged. The machine's bandwidth moves
// with its neighbours; a figure measured once at the start was 75-103% for the same kernels.
double roofline_pct(const BenchContext& ctx, const TestRecord& r);

class Report {
 public:
  // Adds one run's figures to the engine/thread-count tests (creating them on first use).
  // bandwidth_gbps: the measurement taken just before this repetition.
  void add(const std::string& engine, int threads, int n_prompt, int n_gen, const ChildRun& run,
           double bandwidth_gbps);

  const std::vector<TestRecord>& records() const { return records_; }

  void print_table(const BenchContext& ctx) const;
  void print_ratios() const;  // minnow / llama.cpp, only where both ran
  void print_json(const BenchContext& ctx) const;

 private:
  TestRecord& record(const std::string& engine, int threads, bool prefill, int n_tokens, int n_depth);
  std::vector<TestRecord> records_;
};

void print_bandwidth(const BenchContext& ctx, bool to_stderr);

}  // namespace minnow::cli::bench
