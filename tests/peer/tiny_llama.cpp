#include "tiny_llama.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "gguf/gguf.h"
#include "support/scratch_dir.h"
#include "util/error.h"

namespace minnow::testing {
namespace {

// splitmix64: a fixed, portable stream, so the model is identical on every machine.
struct Rng {
  uint64_t state;
  float uniform() {  // in [-1, 1)
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return float(double(z >> 11) / double(1ull << 53) * 2.0 - 1.0);
  }
};

struct Tensor {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the row length
  float scale;                 // 0: a norm weight (values near 1)
};

}  // namespace

std::string temp_path(const std::string& name) { return scratch_path(name); }

std::string write_tiny_llama(const std::string& path, const TinyLlamaSpec& s) {
  const std::string vocab_path = s.vocab_path.empty()
                                     ? std::string(MINNOW_SHARED_DIR) + "/vocab/ggml-vocab-llama-bpe.gguf"
                                     : s.vocab_path;
  auto vocab = gguf::File::open(vocab_path);
  const gguf::Value* tokens = vocab->find("tokenizer.ggml.tokens");
  if (!tokens) throw Error(vocab_path + ": no tokenizer.ggml.tokens");
  const uint64_t n_vocab = tokens->count;
  const uint32_t head_dim = s.n_embd / s.n_head;

  gguf::Writer w(path);
  w.set_str("general.architecture", "llama");
  w.set_str("general.name", "minnow-tiny-llama");
  w.set_u32("general.file_type", 0);  // all F32
  w.set_u32("llama.context_length", s.n_ctx_train);
  w.set_u32("llama.embedding_length", s.n_embd);
  w.set_u32("llama.block_count", s.n_layer);
  w.set_u32("llama.feed_forward_length", s.n_ff);
  w.set_u32("llama.attention.head_count", s.n_head);
  w.set_u32("llama.attention.head_count_kv", s.n_head_kv);
  w.set_u32("llama.rope.dimension_count", head_dim);
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_u32("llama.vocab_size", uint32_t(n_vocab));
  for (const auto& [key, value] : vocab->kv()) {
    if (key.rfind("tokenizer.", 0) == 0) w.copy_kv(key, value);
  }

  // Scales keep activations O(1) so the logits are neither flat nor saturated.
  const float in_scale = 1.0f / float(s.n_embd);
  std::vector<Tensor> tensors = {{"token_embd.weight", {s.n_embd, n_vocab}, 1.0f}};
  for (uint32_t l = 0; l < s.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    tensors.push_back({b + "attn_norm.weight", {s.n_embd}, 0});
    tensors.push_back({b + "attn_q.weight", {s.n_embd, s.n_embd}, 4 * in_scale});
    tensors.push_back({b + "attn_k.weight", {s.n_embd, uint64_t(s.n_head_kv) * head_dim}, 4 * in_scale});
    tensors.push_back({b + "attn_v.weight", {s.n_embd, uint64_t(s.n_head_kv) * head_dim}, 4 * in_scale});
    tensors.push_back({b + "attn_output.weight", {s.n_embd, s.n_embd}, 4 * in_scale});
    tensors.push_back({b + "ffn_norm.weight", {s.n_embd}, 0});
    tensors.push_back({b + "ffn_gate.weight", {s.n_embd, s.n_ff}, 4 * in_scale});
    tensors.push_back({b + "ffn_up.weight", {s.n_embd, s.n_ff}, 4 * in_scale});
    tensors.push_back({b + "ffn_down.weight", {s.n_ff, s.n_embd}, 4.0f / float(s.n_ff)});
  }
  tensors.push_back({"output_norm.weight", {s.n_embd}, 0});
  tensors.push_back({"output.weight", {s.n_embd, n_vocab}, 0.5f});  // sharp logits: clear top-1

  for (const Tensor& t : tensors) w.add_tensor(t.name, DType::F32, t.dims);
  w.write_header();
  Rng rng{s.seed};
  std::vector<float> data;
  for (const Tensor& t : tensors) {
    uint64_t n = 1;
    for (uint64_t d : t.dims) n *= d;
    data.resize(n);
    for (float& x : data) x = t.scale == 0 ? 1.0f + 0.25f * rng.uniform() : t.scale * rng.uniform();
    w.write_tensor_data({reinterpret_cast<const uint8_t*>(data.data()), data.size() * sizeof(float)});
  }
  w.finish();
  return path;
}

std::string cached_tiny_llama(const TinyLlamaSpec& s) {
  const std::filesystem::path dir = std::filesystem::path(MINNOW_BINARY_DIR) / "test-models";
  std::filesystem::create_directories(dir);
  const std::string vocab = s.vocab_path.empty() ? "llama-bpe" : std::filesystem::path(s.vocab_path).stem().string();
  // Bump the "g" number whenever the generated weights change, so stale caches are not reused.
  const std::string name = "tiny-llama-g2-" + vocab + "-e" + std::to_string(s.n_embd) + "-l" +
                           std::to_string(s.n_layer) + "-h" + std::to_string(s.n_head) + "-kv" +
                           std::to_string(s.n_head_kv) + "-ff" + std::to_string(s.n_ff) + "-c" +
                           std::to_string(s.n_ctx_train) + "-s" + std::to_string(s.seed) + ".gguf";
  const std::filesystem::path path = dir / name;
  if (std::filesystem::exists(path)) return path.string();
  const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid());
  write_tiny_llama(tmp, s);
  std::filesystem::rename(tmp, path);
  return path.string();
}

}  // namespace minnow::testing
