#pragma once
// Model = hyper-parameters + weight views into the mapped GGUF. Immutable after load, so any
// number of sessions (sequences) can share one Model.
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/pack_cache.h"
#include "ops/tensor.h"
#include "util/anon_buffer.h"

namespace minnow {

class ThreadPool;

struct HParams {
  int n_vocab = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_ff = 0;
  int n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;

  int q_dim() const { return n_head * head_dim; }
  int kv_dim() const { return n_head_kv * head_dim; }
};

struct LayerWeights {
  std::vector<float> attn_norm;  // [n_embd]
  WeightView wq, wk, wv, wo;     // [q_dim x n_embd], [kv_dim x n_embd] x2, [n_embd x q_dim]
  std::vector<float> bq, bk, bv; // qwen2 biases [q_dim], [kv_dim], [kv_dim]; empty otherwise
  std::vector<float> q_norm, k_norm;  // qwen3 [head_dim]; empty otherwise
  std::vector<float> ffn_norm;   // [n_embd]
  WeightView w_gate, w_up;       // [n_ff x n_embd]
  WeightView w_down;             // [n_embd x n_ff]
};

class Model {
 public:
  // Maps and validates the file: metadata, every required tensor's presence and shape.
  // With pack_for, matrices whose type has a packed layout in that table are repacked into
  // anonymous memory and their file pages dropped: one resident copy either way. The packing
  // runs on `pool` when given (first touch of fresh memory is much of a load's time).
  // With a cache directory in `cache`, the packed weights come from (or go to) a cache file
  // there; see pack_cache.h.
  static std::unique_ptr<Model> load(const std::string& path, const kernels::KernelTable* pack_for = nullptr,
                                     ThreadPool* pool = nullptr, const PackCacheOptions* cache = nullptr);

  const ArchSpec& spec() const { return spec_; }
  const HParams& hparams() const { return hp_; }
  const gguf::File& file() const { return *file_; }

  WeightView token_embd;            // [n_vocab x n_embd]
  WeightView output;                // [n_vocab x n_embd] (token_embd when tied)
  bool tied_output = false;
  std::vector<float> output_norm;   // [n_embd]
  std::vector<float> rope_freqs;    // [head_dim/2] or empty
  std::vector<LayerWeights> layers;

  size_t weight_bytes() const;      // bytes of tensor data in the file
  size_t packed_bytes() const;      // bytes of weights held repacked (memory or cache file)
  // How the packed weights were obtained from the cache: "off", "hit", "written", or why not.
  const std::string& pack_cache_status() const { return pack_cache_status_; }

 private:
  Model() = default;
  void pack_weights(const kernels::KernelTable& kt, ThreadPool* pool, const PackCacheOptions* cache);

  std::unique_ptr<gguf::File> file_;
  std::vector<AnonBuffer> packed_;
  std::unique_ptr<CacheMapping> packed_file_;  // a cache hit: the packed weights point into it
  std::string pack_cache_status_ = "off";
  ArchSpec spec_{};
  HParams hp_{};
};

}  // namespace minnow
