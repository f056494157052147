#pragma once
// One sequence's state against a shared Model: KV cache, scratch, and the tokens it holds.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "model/forward.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "ops/exec.h"

namespace minnow {

struct SessionOptions {
  int n_ctx = 4096;   // positions the KV cache holds
  int n_batch = 64;   // prefill chunk: bounds scratch memory
};

class Session {
 public:
  Session(const Model& model, const ExecContext& ctx, const SessionOptions& opt);

  // Appends tokens (prefilled in chunks of n_batch) and returns the last token's logits.
  // Throws minnow::Error if they would not fit in the context; nothing is changed then.
  std::span<const float> eval(std::span<const int32_t> tokens);

  // Like eval, but returns logits for every appended token: [tokens.size() * n_vocab].
  std::vector<float> eval_all(std::span<const int32_t> tokens);

  // Keeps the first n cached tokens and forgets the rest (their KV entries are overwritten).
  void truncate(size_t n);

  const std::vector<int32_t>& tokens() const { return tokens_; }
  int n_ctx() const { return opt_.n_ctx; }
  const Model& model() const { return model_; }

 private:
  void check_fits(size_t n_new) const;

  const Model& model_;
  ExecContext ctx_;
  SessionOptions opt_;
  KVCache cache_;
  ForwardScratch scratch_;
  std::vector<int32_t> tokens_;
  std::vector<float> logits_;
};

}  // namespace minnow
