#include "oracle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/error.h"

namespace minnow::oracle {

std::vector<int32_t> Reference::tokens() const {
  std::vector<int32_t> all = prompt;
  all.insert(all.end(), continuation.begin(), continuation.end());
  return all;
}

std::vector<int32_t> fit_prompt(peer::LlamaPeer& llama, const std::string& text, int n_prompt) {
  if (n_prompt <= 0) throw Error("oracle: n_prompt must be > 0");
  std::vector<int32_t> tokens = llama.tokenize(text, true, false);
  const std::vector<int32_t> body = llama.tokenize(text, false, false);
  if (body.empty()) throw Error("oracle: the prompt text has no tokens");
  while (tokens.size() < size_t(n_prompt)) tokens.insert(tokens.end(), body.begin(), body.end());
  tokens.resize(size_t(n_prompt));
  return tokens;
}

Reference make_reference(peer::LlamaPeer& llama, const std::vector<int32_t>& prompt, int n_continue) {
  Reference r;
  r.n_vocab = llama.n_vocab();
  r.prompt = prompt;
  r.continuation = llama.greedy(prompt, n_continue);
  r.logits = llama.eval_all_logits(r.tokens());
  return r;
}

Reference make_reference(const std::string& gguf_path, const std::string& prompt_text,
                         const ReferenceOptions& opt) {
  auto llama = peer::LlamaPeer::load(gguf_path, opt.peer);
  return make_reference(*llama, fit_prompt(*llama, prompt_text, opt.n_prompt), opt.n_continue);
}

namespace {

// log-sum-exp of a row, in double.
double log_normalizer(std::span<const float> row) {
  const double mx = *std::max_element(row.begin(), row.end());
  double sum = 0;
  for (float x : row) sum += std::exp(double(x) - mx);
  return mx + std::log(sum);
}

}  // namespace

double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits) {
  if (p_logits.size() != q_logits.size() || p_logits.empty()) {
    throw Error("oracle: KL needs two non-empty rows of equal size");
  }
  const double lp = log_normalizer(p_logits), lq = log_normalizer(q_logits);
  double kl = 0;
  for (size_t i = 0; i < p_logits.size(); ++i) {
    const double log_p = double(p_logits[i]) - lp;
    const double log_q = double(q_logits[i]) - lq;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  // Rounding can leave a tiny negative value for identical distributions; KL is never negative.
  return std::max(kl, 0.0);
}

double top2_margin(std::span<const float> row) {
  const size_t top = size_t(std::max_element(row.begin(), row.end()) - row.begin());
  float second = -INFINITY;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i != top) second = std::max(second, row[i]);
  }
  return double(row[top]) - double(second);
}

Comparison compare_logits(std::span<const float> llama, std::span<const float> other, int n_vocab,
                          double margin) {
  if (n_vocab <= 0 || llama.size() % size_t(n_vocab) != 0 || llama.empty()) {
    throw Error("oracle: llama logits are not whole rows of n_vocab");
  }
  if (other.size() != llama.size()) {
    throw Error("oracle: logit arrays differ in size (" + std::to_string(llama.size()) + " vs " +
                std::to_string(other.size()) + ")");
  }
  Comparison c;
  c.n_positions = int(llama.size() / size_t(n_vocab));
  double kl_sum = 0;
  for (int pos = 0; pos < c.n_positions; ++pos) {
    const auto p = llama.subspan(size_t(pos) * size_t(n_vocab), size_t(n_vocab));
    const auto q = other.subspan(size_t(pos) * size_t(n_vocab), size_t(n_vocab));
    const double kl = kl_divergence(p, q);
    kl_sum += kl;
    if (kl > c.max_kl || c.max_kl_position < 0) {
      c.max_kl = kl;
      c.max_kl_position = pos;
    }
    const size_t top = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    if (top2_margin(p) > margin) {
      ++c.top1_checked;
      if (size_t(std::max_element(q.begin(), q.end()) - q.begin()) == top) {
        ++c.top1_agree;
      } else {
        c.top1_disagreements.push_back(pos);
      }
    }
  }
  c.mean_kl = kl_sum / c.n_positions;
  return c;
}

std::string Comparison::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "positions %d, mean KL %.3e, max KL %.3e at %d, top-1 agree %d/%d (%.1f%%)",
                n_positions, mean_kl, max_kl, max_kl_position, top1_agree, top1_checked,
                100.0 * top1_rate());
  return buf;
}

size_t matching_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace minnow::oracle
