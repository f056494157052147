#pragma once
// The decoder forward pass shared by llama, qwen2 and qwen3 (differences come from ArchSpec).
#include <cstdint>
#include <span>
#include <vector>

#include "model/kv_cache.h"
#include "model/model.h"
#include "ops/exec.h"

namespace minnow {

// Activation buffers for up to `max_batch` tokens at once; reused across calls.
struct ForwardScratch {
  int max_batch = 0;
  std::vector<float> x, xn, q, k, v, attn, gate, up;
  std::vector<float> rope_cs;  // [max_batch][head_dim]: cos, sin of each token's rope angles
  // Attention scratch, one slot per thread (not per head: it grows with the context).
  std::vector<float> scores;    // [n_threads][kAttnMaxRows][n_ctx + head_dim]: scores, outputs
  std::vector<uint16_t> att16;  // [n_threads][kAttnMaxRows][head_dim + n_ctx]: f16 queries, weights
  std::vector<uint8_t> act;  // converted activations for the quantized kernels

  ForwardScratch(const HParams& hp, int max_batch, int n_ctx, int n_threads);
};

// Runs tokens[i] at position pos0 + i (i < max_batch), writing k/v into the cache at those
// positions and attending causally over [0, pos0 + i]. Logits ([n_vocab] per output row) go
// to `logits`: for every token if all_logits, else for the last token only.
void forward(const ExecContext& ctx, const Model& model, KVCache& cache, ForwardScratch& s,
             std::span<const int32_t> tokens, int64_t pos0, bool all_logits,
             std::vector<float>& logits);

}  // namespace minnow
