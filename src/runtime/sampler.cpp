#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace minnow {

int32_t argmax(std::span<const float> logits) {
  return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplerParams& p) : p_(p), rng_(p.seed) {}

void Sampler::apply_penalties(std::vector<Candidate>& c, std::span<const int32_t> history) const {
  const bool any = p_.repeat_penalty != 1.0f || p_.presence_penalty != 0.0f || p_.frequency_penalty != 0.0f;
  if (!any || p_.penalty_last_n == 0 || history.empty()) return;
  const size_t n = p_.penalty_last_n < 0 ? history.size()
                                         : std::min(history.size(), size_t(p_.penalty_last_n));
  std::unordered_map<int32_t, int> counts;
  for (size_t i = history.size() - n; i < history.size(); ++i) ++counts[history[i]];
  for (const auto& [id, count] : counts) {
    if (id < 0 || size_t(id) >= c.size()) continue;
    float& l = c[size_t(id)].logit;  // candidates are still in id order here
    if (p_.repeat_penalty != 1.0f) l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
    l -= float(count) * p_.frequency_penalty + p_.presence_penalty;
  }
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  cand_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) cand_[i] = {int32_t(i), logits[i]};
  apply_penalties(cand_, history);

  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (p_.temperature <= 0.0f)
    return std::min_element(cand_.begin(), cand_.end(), by_logit)->id;

  size_t n = cand_.size();
  if (p_.top_k > 0 && size_t(p_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = size_t(p_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Softmax at temperature over the kept candidates (sorted, best first).
  std::vector<double> prob(n);
  const double mx = cand_[0].logit;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    prob[i] = std::exp((double(cand_[i].logit) - mx) / p_.temperature);
    sum += prob[i];
  }
  for (auto& pr : prob) pr /= sum;
  if (p_.min_p > 0.0f) {
    const double floor = prob[0] * p_.min_p;
    size_t keep = 1;
    while (keep < n && prob[keep] >= floor) ++keep;
    n = keep;
  }
  if (p_.top_p < 1.0f) {
    double cum = 0.0;
    size_t keep = 0;
    while (keep < n) {
      cum += prob[keep++];
      if (cum >= p_.top_p) break;
    }
    n = std::max<size_t>(1, keep);
  }
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) total += prob[i];
  std::uniform_real_distribution<double> uni(0.0, total);
  double r = uni(rng_);
  for (size_t i = 0; i < n; ++i) {
    r -= prob[i];
    if (r <= 0.0) return cand_[i].id;
  }
  return cand_[n - 1].id;
}

}  // namespace minnow
