#include "bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench/options.h"

namespace minnow::cli::bench {

namespace {

// Bytes a decode step reads times steps per second.
double decode_gbps(const BenchContext& ctx, double tok_s) {
  return double(ctx.model.decode_read_bytes) * tok_s / 1e9;
}

const TestRecord* find(const std::vector<TestRecord>& rs, const std::string& engine, const TestRecord& like) {
  for (const auto& r : rs)
    if (r.engine == engine && r.threads == like.threads && r.prefill == like.prefill && r.n_tokens == like.n_tokens)
      return &r;
  return nullptr;
}

std::string fmt(const char* f, double a, double b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

void print_row(const std::vector<std::string>& cells, const std::vector<int>& widths,
               const std::vector<bool>& right) {
  std::string line = "|";
  for (size_t i = 0; i < cells.size(); ++i) {
    const int pad = std::max(0, widths[i] - int(cells[i].size()));
    line += " " + (right[i] ? std::string(size_t(pad), ' ') + cells[i] : cells[i] + std::string(size_t(pad), ' ')) + " |";
  }
  std::printf("%s\n", line.c_str());
}

void print_markdown(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                    const std::vector<bool>& right) {
  std::vector<int> widths;
  for (const auto& h : header) widths.push_back(int(h.size()));
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], int(r[i].size()));
  print_row(header, widths, right);
  std::string rule = "|";
  for (size_t i = 0; i < widths.size(); ++i)
    rule += " " + std::string(size_t(widths[i] - 1), '-') + (right[i] ? ":" : "-") + " |";
  std::printf("%s\n", rule.c_str());
  for (const auto& r : rows) print_row(r, widths, right);
}

}  // namespace

Stats stats_of(const std::vector<double>& xs) {
  Stats s;
  if (xs.empty()) return s;
  for (double x : xs) s.mean += x;
  s.mean /= double(xs.size());
  if (xs.size() > 1) {
    double ss = 0;
    for (double x : xs) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / double(xs.size() - 1));
  }
  return s;
}

void BenchContext::add_bandwidth(int threads, double gbps) {
  for (auto& b : bandwidth)
    if (b.n_threads == threads) return b.gbps.push_back(gbps);
  bandwidth.push_back({threads, {gbps}});
}

double roofline_pct(const BenchContext& ctx, const TestRecord& r) {
  std::vector<double> shares;
  for (size_t i = 0; i < r.tok_s.size() && i < r.bandwidth_gbps.size(); ++i)
    if (r.bandwidth_gbps[i] > 0) shares.push_back(100.0 * decode_gbps(ctx, r.tok_s[i]) / r.bandwidth_gbps[i]);
  return stats_of(shares).mean;
}

TestRecord& Report::record(const std::string& engine, int threads, bool prefill, int n_tokens, int n_depth) {
  for (auto& r : records_)
    if (r.engine == engine && r.threads == threads && r.prefill == prefill) return r;
  TestRecord r;
  r.engine = engine;
  r.threads = threads;
  r.prefill = prefill;
  r.n_tokens = n_tokens;
  r.n_depth = n_depth;
  records_.push_back(r);
  return records_.back();
}

void Report::add(const std::string& engine, int threads, int n_prompt, int n_gen, const ChildRun& run,
                 double bandwidth_gbps) {
  const auto& w = run.result;
  auto add_common = [&](TestRecord& r) {
    r.ttft_s.push_back(run.ttft_s);
    r.load_s.push_back(w.load_s);
    r.peak_rss_bytes = std::max(r.peak_rss_bytes, run.peak_rss_bytes);
  };
  if (n_prompt > 0) {
    auto& r = record(engine, threads, true, n_prompt, 0);
    r.tok_s.push_back(w.prefill_s > 0 ? double(w.n_prompt) / w.prefill_s : 0.0);
    add_common(r);
  }
  if (n_gen > 0) {
    auto& r = record(engine, threads, false, n_gen, w.n_prompt);
    r.tok_s.push_back(w.decode_s > 0 ? double(w.n_gen) / w.decode_s : 0.0);
    r.bandwidth_gbps.push_back(bandwidth_gbps);
    add_common(r);
  }
}

void print_bandwidth(const BenchContext& ctx, bool to_stderr) {
  FILE* out = to_stderr ? stderr : stdout;
  std::fprintf(out,
               "memory read bandwidth (measured before each repetition: streaming sum over %s, with and without "
               "prefetch, best of %d; mean, range):",
               format_bytes(ctx.bandwidth_bytes).c_str(), ctx.bandwidth_runs);
  for (const auto& b : ctx.bandwidth) {
    const auto [lo, hi] = std::minmax_element(b.gbps.begin(), b.gbps.end());
    std::fprintf(out, " %d thread%s %.1f GB/s (%.1f-%.1f);", b.n_threads, b.n_threads == 1 ? "" : "s",
                 stats_of(b.gbps).mean, *lo, *hi);
  }
  std::fprintf(out, "\ndecode reads %s per token (weights less the token embedding table)\n\n",
               format_bytes(ctx.model.decode_read_bytes).c_str());
}

void Report::print_table(const BenchContext& ctx) const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records_) {
    const Stats tok = stats_of(r.tok_s);
    const Stats ttft = stats_of(r.ttft_s);
    const double gbps = decode_gbps(ctx, tok.mean);
    rows.push_back({r.engine, ctx.model.label, ctx.model.type, format_bytes(ctx.model.size_bytes),
                    std::to_string(r.threads), r.name(), fmt("%.2f ± %.2f", tok.mean, tok.sd),
                    r.prefill ? "" : fmt("%.2f", gbps),
                    r.prefill ? "" : fmt("%.1f%%", roofline_pct(ctx, r)),
                    format_bytes(r.peak_rss_bytes), fmt("%.3f s", ttft.mean)});
  }
  print_markdown({"engine", "model", "type", "size", "threads", "test", "tok/s ± sd", "GB/s", "% roofline",
                  "peak RSS", "TTFT"},
                 rows, {false, false, false, true, true, true, true, true, true, true, true});
}

void Report::print_ratios() const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : records_) {
    if (m.engine != kEngineMinnow) continue;
    const TestRecord* l = find(records_, kEngineLlama, m);
    if (!l) continue;
    const double tok = stats_of(m.tok_s).mean / stats_of(l->tok_s).mean;
    rows.push_back({std::to_string(m.threads), m.name(), fmt("%.2fx", tok),
                    fmt("%.2fx", double(m.peak_rss_bytes) / double(l->peak_rss_bytes)),
                    fmt("%.2fx", stats_of(m.ttft_s).mean / stats_of(l->ttft_s).mean)});
  }
  if (rows.empty()) return;
  std::printf("\nminnow / llama.cpp (tok/s and GB/s: above 1 is faster; peak RSS and TTFT: below 1 is better)\n\n");
  print_markdown({"threads", "test", "tok/s (and GB/s)", "peak RSS", "TTFT"}, rows, {true, true, true, true, true});
}

void Report::print_json(const BenchContext& ctx) const {
  for (const auto& r : records_) {
    const Stats tok = stats_of(r.tok_s);
    const Stats ttft = stats_of(r.ttft_s);
    nlohmann::json j;
    j["engine"] = r.engine;
    j["model"] = ctx.model.label;
    j["model_path"] = ctx.model.path;
    j["type"] = ctx.model.type;
    j["size_bytes"] = ctx.model.size_bytes;
    j["n_params"] = ctx.model.n_params;
    j["threads"] = r.threads;
    j["test"] = r.name();
    // llama-bench's convention: a pp test has n_gen 0, a tg test n_prompt 0; n_depth says what
    // the context already held.
    j["n_prompt"] = r.prefill ? r.n_tokens : 0;
    j["n_gen"] = r.prefill ? 0 : r.n_tokens;
    j["n_depth"] = r.n_depth;
    j["n_ctx"] = ctx.n_ctx;
    j["reps"] = r.tok_s.size();
    j["tok_s"] = tok.mean;
    j["tok_s_sd"] = tok.sd;
    j["samples_tok_s"] = r.tok_s;
    j["peak_rss_bytes"] = r.peak_rss_bytes;
    j["ttft_s"] = ttft.mean;
    j["ttft_s_sd"] = ttft.sd;
    j["load_s"] = stats_of(r.load_s).mean;
    for (const auto& b : ctx.bandwidth)
      if (b.n_threads == r.threads) j["bandwidth_gbps"] = stats_of(b.gbps).mean;
    if (r.prefill) {
      j["gbps"] = nullptr;
      j["roofline_pct"] = nullptr;
    } else {
      j["decode_read_bytes"] = ctx.model.decode_read_bytes;
      j["gbps"] = decode_gbps(ctx, tok.mean);
      j["samples_bandwidth_gbps"] = r.bandwidth_gbps;
      j["roofline_pct"] = roofline_pct(ctx, r);
    }
    std::printf("%s\n", j.dump().c_str());
  }
  for (const auto& m : records_) {
    if (m.engine != kEngineMinnow) continue;
    const TestRecord* l = find(records_, kEngineLlama, m);
    if (!l) continue;
    nlohmann::json j;
    j["engine"] = std::string(kEngineMinnow) + "/" + kEngineLlama;
    j["model"] = ctx.model.label;
    j["type"] = ctx.model.type;
    j["threads"] = m.threads;
    j["test"] = m.name();
    j["tok_s_ratio"] = stats_of(m.tok_s).mean / stats_of(l->tok_s).mean;
    j["peak_rss_ratio"] = double(m.peak_rss_bytes) / double(l->peak_rss_bytes);
    j["ttft_ratio"] = stats_of(m.ttft_s).mean / stats_of(l->ttft_s).mean;
    if (!m.prefill) j["gbps_ratio"] = j["tok_s_ratio"];
    std::printf("%s\n", j.dump().c_str());
  }
}

}  // namespace minnow::cli::bench
