#pragma once
// Tensor lists shaped like llama / qwen2 / qwen3 GGUF files, for the quantization-mix tests.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace minnow::quant_test {

struct ModelShape {
  const char* arch;  // llama.cpp architecture name
  uint32_t n_embd, n_ff, n_layer, n_head, n_head_kv, n_vocab;
  bool tied;         // no output.weight
  bool qkv_bias;     // qwen2
  bool qk_norm;      // qwen3
  bool lexical_layer_order;  // blk.0, blk.1, blk.10, ... as some converters emit
};

struct FakeTensor {
  std::string name;
  int n_dims;
  int64_t ne0, ne1;
};

inline std::vector<FakeTensor> model_tensors(const ModelShape& m) {
  const int64_t hd = m.n_embd / m.n_head;
  std::vector<FakeTensor> t;
  t.push_back({"token_embd.weight", 2, m.n_embd, m.n_vocab});
  std::vector<uint32_t> layers(m.n_layer);
  for (uint32_t i = 0; i < m.n_layer; ++i) layers[i] = i;
  if (m.lexical_layer_order) {
    std::sort(layers.begin(), layers.end(),
              [](uint32_t a, uint32_t b) { return std::to_string(a) < std::to_string(b); });
  }
  for (uint32_t i : layers) {
    const std::string p = "blk." + std::to_string(i) + ".";
    t.push_back({p + "attn_norm.weight", 1, m.n_embd, 1});
    t.push_back({p + "attn_q.weight", 2, m.n_embd, m.n_head * hd});
    t.push_back({p + "attn_k.weight", 2, m.n_embd, m.n_head_kv * hd});
    t.push_back({p + "attn_v.weight", 2, m.n_embd, m.n_head_kv * hd});
    if (m.qkv_bias) {
      t.push_back({p + "attn_q.bias", 1, m.n_head * hd, 1});
      t.push_back({p + "attn_k.bias", 1, m.n_head_kv * hd, 1});
      t.push_back({p + "attn_v.bias", 1, m.n_head_kv * hd, 1});
    }
    if (m.qk_norm) {
      t.push_back({p + "attn_q_norm.weight", 1, hd, 1});
      t.push_back({p + "attn_k_norm.weight", 1, hd, 1});
    }
    t.push_back({p + "attn_output.weight", 2, m.n_head * hd, m.n_embd});
    t.push_back({p + "ffn_norm.weight", 1, m.n_embd, 1});
    t.push_back({p + "ffn_gate.weight", 2, m.n_embd, m.n_ff});
    t.push_back({p + "ffn_up.weight", 2, m.n_embd, m.n_ff});
    t.push_back({p + "ffn_down.weight", 2, m.n_ff, m.n_embd});
  }
  t.push_back({"output_norm.weight", 1, m.n_embd, 1});
  if (!m.tied) t.push_back({"output.weight", 2, m.n_embd, m.n_vocab});
  return t;
}

inline const std::vector<ModelShape>& test_shapes() {
  static const std::vector<ModelShape> shapes = {
      {"llama", 2048, 8192, 16, 32, 8, 1000, false, false, false, false},
      {"llama", 4096, 14336, 32, 32, 8, 1000, false, false, false, true},
      {"qwen2", 896, 4864, 24, 14, 2, 1000, true, true, false, false},
      {"qwen2", 1536, 8960, 28, 12, 2, 1000, true, true, false, true},
      {"qwen3", 1024, 3072, 28, 16, 8, 1000, true, false, true, false},
      {"qwen3", 2560, 9728, 36, 32, 8, 1000, false, false, true, false},
      {"llama", 80, 200, 5, 4, 4, 100, false, false, false, false},   // rows not even 32-blocked
      {"llama", 288, 768, 6, 6, 6, 100, true, false, false, false},   // 32- but not 256-blocked
  };
  return shapes;
}

}  // namespace minnow::quant_test
