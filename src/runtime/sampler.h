#pragma once
// Token sampling from logits: penalties, then greedy or temperature with top-k/top-p/min-p.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace minnow {

struct SamplerParams {
  float temperature = 0.8f;  // <= 0: greedy (argmax)
  int top_k = 40;            // <= 0: off
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float repeat_penalty = 1.0f;    // 1: off (llama.cpp style: divide positive, multiply negative)
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int penalty_last_n = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& p);

  // Picks the next token. `history` holds the tokens so far (prompt + generated) for penalties.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

  const SamplerParams& params() const { return p_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  void apply_penalties(std::vector<Candidate>& c, std::span<const int32_t> history) const;

  SamplerParams p_;
  std::mt19937_64 rng_;
  std::vector<Candidate> cand_;
};

int32_t argmax(std::span<const float> logits);

}  // namespace minnow
