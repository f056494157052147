#include "model/synth.h"

#include <cmath>
#include <memory>

#include "gguf/gguf.h"
#include "quant/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace minnow {

const std::vector<SynthConfig>& synth_configs() {
  static const std::vector<SynthConfig> configs = {
      // DeepSeek-R1-Distill-Qwen-1.5B
      {"qwen2-1.5b", arch_qwen2, 1536, 8960, 28, 12, 2, 128, 151936, false, 10000.0f, 1e-6f, 131072, 0},
      // Qwen2.5-0.5B
      {"qwen2-0.5b", arch_qwen2, 896, 4864, 24, 14, 2, 64, 151936, true, 1000000.0f, 1e-6f, 32768, 0},
      {"qwen3-0.6b", arch_qwen3, 1024, 3072, 28, 16, 8, 128, 151936, true, 1000000.0f, 1e-6f, 40960, 0},
      {"llama3.2-1b", arch_llama, 2048, 8192, 16, 32, 8, 64, 128256, true, 500000.0f, 1e-5f, 131072, 32.0f},
      {"tinyllama-1.1b", arch_llama, 2048, 5632, 22, 32, 4, 64, 32000, false, 10000.0f, 1e-5f, 2048, 0},
      // Tiny variants for tests: every dimension a multiple of 256 so all block types apply.
      {"qwen2-tiny", arch_qwen2, 256, 768, 2, 4, 2, 64, 0, false, 10000.0f, 1e-6f, 4096, 0},
      {"qwen3-tiny", arch_qwen3, 256, 768, 2, 4, 2, 64, 0, true, 1000000.0f, 1e-6f, 4096, 0},
      {"llama-tiny", arch_llama, 256, 768, 2, 4, 2, 64, 0, true, 500000.0f, 1e-5f, 4096, 32.0f},
  };
  return configs;
}

const SynthConfig* find_synth_config(std::string_view name) {
  for (const auto& c : synth_configs())
    if (c.name == name) return &c;
  return nullptr;
}

namespace {

// Deterministic normal samples: splitmix64 + Box-Muller. Seeded per tensor by name so the
// output does not depend on generation order.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = float(r * std::sin(2.0 * M_PI * u2));
    has_spare_ = true;
    return float(r * std::cos(2.0 * M_PI * u2));
  }

 private:
  uint64_t s_;
  float spare_ = 0.0f;
  bool has_spare_ = false;
};

uint64_t hash_name(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct TensorPlan {
  std::string name;
  std::vector<uint64_t> dims;  // {cols, rows} or {n}
  DType type;
  enum Kind { Matrix, Norm, Bias, RopeFreqs } kind;
  float std;  // for Matrix / Bias
};

std::vector<TensorPlan> plan_tensors(const SynthConfig& c, int n_vocab) {
  const ArchSpec& spec = c.arch();
  const uint64_t d = uint64_t(c.n_embd), qd = uint64_t(c.n_head * c.head_dim),
                 kvd = uint64_t(c.n_head_kv * c.head_dim), ff = uint64_t(c.n_ff);
  const float sd = 1.0f / std::sqrt(float(d));
  std::vector<TensorPlan> t;
  // Embedding rows double as output rows when tied: logits spread ~3.
  t.push_back({"token_embd.weight", {d, uint64_t(n_vocab)}, DType::F32, TensorPlan::Matrix, 3.0f * sd});
  if (c.llama3_rope_factor > 0)
    t.push_back({"rope_freqs.weight", {uint64_t(c.head_dim / 2)}, DType::F32, TensorPlan::RopeFreqs, 0});
  t.push_back({"output_norm.weight", {d}, DType::F32, TensorPlan::Norm, 0});
  if (!c.tied_output) t.push_back({"output.weight", {d, uint64_t(n_vocab)}, DType::F32, TensorPlan::Matrix, 3.0f * sd});
  for (int il = 0; il < c.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    t.push_back({p + "attn_norm.weight", {d}, DType::F32, TensorPlan::Norm, 0});
    t.push_back({p + "attn_q.weight", {d, qd}, DType::F32, TensorPlan::Matrix, sd});
    t.push_back({p + "attn_k.weight", {d, kvd}, DType::F32, TensorPlan::Matrix, sd});
    t.push_back({p + "attn_v.weight", {d, kvd}, DType::F32, TensorPlan::Matrix, sd});
    if (spec.qkv_bias) {
      t.push_back({p + "attn_q.bias", {qd}, DType::F32, TensorPlan::Bias, 0.2f});
      t.push_back({p + "attn_k.bias", {kvd}, DType::F32, TensorPlan::Bias, 0.2f});
      t.push_back({p + "attn_v.bias", {kvd}, DType::F32, TensorPlan::Bias, 0.2f});
    }
    if (spec.qk_norm) {
      t.push_back({p + "attn_q_norm.weight", {uint64_t(c.head_dim)}, DType::F32, TensorPlan::Norm, 0});
      t.push_back({p + "attn_k_norm.weight", {uint64_t(c.head_dim)}, DType::F32, TensorPlan::Norm, 0});
    }
    t.push_back({p + "attn_output.weight", {qd, d}, DType::F32, TensorPlan::Matrix, 1.0f / std::sqrt(float(qd))});
    t.push_back({p + "ffn_norm.weight", {d}, DType::F32, TensorPlan::Norm, 0});
    t.push_back({p + "ffn_gate.weight", {d, ff}, DType::F32, TensorPlan::Matrix, sd});
    t.push_back({p + "ffn_up.weight", {d, ff}, DType::F32, TensorPlan::Matrix, sd});
    t.push_back({p + "ffn_down.weight", {ff, d}, DType::F32, TensorPlan::Matrix, 1.0f / std::sqrt(float(ff))});
  }
  return t;
}

// Llama 3 long-context rope scaling as frequency divisors (what converters store as
// rope_freqs.weight): high frequencies untouched, low ones divided by `factor`, smooth between.
std::vector<float> llama3_rope_freqs(const SynthConfig& c) {
  const float low_freq_factor = 1.0f, high_freq_factor = 4.0f, orig_ctx = 8192.0f;
  const float low_wavelen = orig_ctx / low_freq_factor, high_wavelen = orig_ctx / high_freq_factor;
  std::vector<float> f(size_t(c.head_dim / 2));
  for (size_t i = 0; i < f.size(); ++i) {
    const float freq = 1.0f / std::pow(c.rope_base, float(2 * i) / float(c.head_dim));
    const float wavelen = 2.0f * float(M_PI) / freq;
    if (wavelen < high_wavelen) {
      f[i] = 1.0f;
    } else if (wavelen > low_wavelen) {
      f[i] = c.llama3_rope_factor;
    } else {
      const float smooth = (orig_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      f[i] = 1.0f / ((1.0f - smooth) / c.llama3_rope_factor + smooth);
    }
  }
  return f;
}

void copy_tokenizer(const gguf::File& vocab, gguf::Writer& w, int n_vocab) {
  const gguf::Value* tokens = vocab.find("tokenizer.ggml.tokens");
  if (!tokens || tokens->type != gguf::ValueType::ARRAY || tokens->elem_type != gguf::ValueType::STRING)
    throw Error(vocab.path() + ": not a vocab file (no tokenizer.ggml.tokens)");
  const uint64_t have = tokens->count;
  if (n_vocab != 0 && uint64_t(n_vocab) < have)
    throw Error(vocab.path() + ": vocabulary of " + std::to_string(have) + " tokens is larger than the config's " + std::to_string(n_vocab));
  const bool pad = n_vocab != 0 && uint64_t(n_vocab) > have;
  for (const auto& [key, value] : vocab.kv()) {
    if (key.rfind("tokenizer.", 0) != 0) continue;
    if (!pad || value.type != gguf::ValueType::ARRAY || value.count != have) {
      w.copy_kv(key, value);
      continue;
    }
    // Pad per-token arrays as converters do for embedding rows beyond the tokenizer.
    if (key == "tokenizer.ggml.tokens") {
      std::vector<std::string> s(value.strings.begin(), value.strings.end());
      for (uint64_t i = have; i < uint64_t(n_vocab); ++i) s.push_back("[PAD" + std::to_string(i) + "]");
      w.set_arr_str(key, s);
    } else if (key == "tokenizer.ggml.scores") {
      std::vector<float> s;
      for (uint64_t i = 0; i < have; ++i) s.push_back(float(value.array_float(i)));
      s.resize(size_t(n_vocab), -1000.0f);
      w.set_arr_f32(key, s);
    } else if (key == "tokenizer.ggml.token_type") {
      std::vector<int32_t> s;
      for (uint64_t i = 0; i < have; ++i) s.push_back(int32_t(value.array_int(i)));
      s.resize(size_t(n_vocab), 5);  // 5 = unused
      w.set_arr_i32(key, s);
    } else {
      w.copy_kv(key, value);
    }
  }
}

}  // namespace

void write_synthetic_model(const SynthConfig& c, const std::string& vocab_path,
                           const std::string& out_path, QuantMix mix, uint64_t seed,
                           int n_threads) {
  const auto vocab = gguf::File::open(vocab_path);
  const auto* tokens = vocab->find("tokenizer.ggml.tokens");
  const int n_vocab = c.n_vocab != 0 ? c.n_vocab : int(tokens ? tokens->count : 0);
  if (n_vocab <= 0) throw Error(vocab_path + ": vocabulary is empty");

  auto plan = plan_tensors(c, n_vocab);
  std::vector<TensorDesc> descs;
  for (const auto& t : plan) descs.push_back({t.name, DType::F32, int(t.dims.size()), int64_t(t.dims[0])});
  const auto types = plan_tensor_types(mix, {c.n_layer, uint32_t(c.n_head), uint32_t(c.n_head_kv), false}, descs);
  for (size_t i = 0; i < plan.size(); ++i) {
    auto& t = plan[i];
    t.type = types[i];
    const auto& info = dtype_info(t.type);
    if (t.dims[0] % info.block_elems != 0)
      throw Error("tensor '" + t.name + "': row length " + std::to_string(t.dims[0]) +
                  " is not a multiple of " + std::string(info.name) + "'s block of " + std::to_string(info.block_elems));
  }

  const ArchSpec& spec = c.arch();
  const std::string a(spec.gguf_name);
  gguf::Writer w(out_path);
  w.set_str("general.architecture", a);
  w.set_str("general.name", "minnow-synth " + std::string(c.name));
  w.set_u32("general.file_type", uint32_t(mix));
  w.set_u32(a + ".context_length", uint32_t(c.n_ctx_train));
  w.set_u32(a + ".embedding_length", uint32_t(c.n_embd));
  w.set_u32(a + ".block_count", uint32_t(c.n_layer));
  w.set_u32(a + ".feed_forward_length", uint32_t(c.n_ff));
  w.set_u32(a + ".attention.head_count", uint32_t(c.n_head));
  w.set_u32(a + ".attention.head_count_kv", uint32_t(c.n_head_kv));
  w.set_u32(a + ".attention.key_length", uint32_t(c.head_dim));
  w.set_u32(a + ".attention.value_length", uint32_t(c.head_dim));
  w.set_u32(a + ".rope.dimension_count", uint32_t(c.head_dim));
  w.set_f32(a + ".rope.freq_base", c.rope_base);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w.set_u32(a + ".vocab_size", uint32_t(n_vocab));
  copy_tokenizer(*vocab, w, c.n_vocab);
  for (const auto& t : plan) w.add_tensor(t.name, t.type, t.dims);
  w.write_header();

  ThreadPool pool(n_threads);
  std::vector<float> values;
  std::vector<uint8_t> bytes;
  for (const auto& t : plan) {
    uint64_t n = 1;
    for (uint64_t dim : t.dims) n *= dim;
    values.resize(size_t(n));
    Rng rng(hash_name(t.name, seed));
    switch (t.kind) {
      case TensorPlan::Matrix:
      case TensorPlan::Bias:
        for (auto& v : values) v = rng.normal() * t.std;
        break;
      case TensorPlan::Norm:
        for (auto& v : values) v = 1.0f + 0.1f * rng.normal();
        break;
      case TensorPlan::RopeFreqs:
        values = llama3_rope_freqs(c);
        break;
    }
    const auto& info = dtype_info(t.type);
    const uint64_t cols = t.dims[0], rows = n / cols;
    const size_t rb = row_bytes(info, cols);
    bytes.resize(rb * size_t(rows));
    pool.parallel_for(int64_t(rows), 1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        quantize_row(t.type, values.data() + size_t(r) * cols, bytes.data() + size_t(r) * rb, int64_t(cols));
    });
    w.write_tensor_data(bytes);
  }
  w.finish();
}

}  // namespace minnow
