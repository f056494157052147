#pragma once
// Synthetic models: random weights at a real architecture's shapes, with the real tokenizer of
// a vocab GGUF. Scales keep activations realistic: unit-RMS hidden states, attention scores
// ~N(0,1), logits with a spread of a few units (peaked but not saturated softmax).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/arch.h"
#include "quant/mix.h"
#include "quant/types.h"

namespace minnow {

struct SynthConfig {
  std::string_view name;
  const ArchSpec& (*arch)();
  int n_embd, n_ff, n_layer, n_head, n_head_kv, head_dim;
  int n_vocab;  // rows of token_embd; the vocab is padded with [PADn] tokens up to it (0: as is)
  bool tied_output;
  float rope_base, rms_eps;
  int n_ctx_train;
  float llama3_rope_factor;  // 0: no rope_freqs tensor
};

const std::vector<SynthConfig>& synth_configs();
const SynthConfig* find_synth_config(std::string_view name);

// Writes the model to out_path, streaming tensor by tensor; tensor types follow llama.cpp's
// choice for `mix` (a plain type puts every matrix in it, a _K_M mix varies per tensor).
// Rows are quantized on `n_threads` threads.
void write_synthetic_model(const SynthConfig& cfg, const std::string& vocab_path,
                           const std::string& out_path, QuantMix mix, uint64_t seed,
                           int n_threads = 1);

}  // namespace minnow
