#pragma once
// What every model-running subcommand sets up: model, tokenizer, kernels, threads, session.
#include <memory>
#include <string>

#include "kernels/kernels.h"
#include "model/model.h"
#include "runtime/session.h"
#include "tokenizer/tokenizer.h"
#include "util/thread_pool.h"

namespace minnow::cli {

// Where repacked weights are cached: $MINNOW_PACK_CACHE if set ("off" or "0": no cache), else
// $XDG_CACHE_HOME/minnow/packed, else $HOME/.cache/minnow/packed.
PackCacheOptions default_pack_cache();

// "fast" or "llama.cpp" (the --rounding option); throws minnow::Error on anything else.
kernels::Rounding parse_rounding(const std::string& text);

struct EngineOptions {
  int n_threads = 0;  // 0: default_thread_count()
  int n_ctx = 4096;
  int n_batch = 0;  // prefill chunk; 0: the kernel table's (KernelTable::prefill_rows)
  // LlamaCpp: kernels that round as llama.cpp's build for this CPU (outputs match it bit for
  // bit; Q8_0 prefill is slower), where Minnow has them (AVX2).
  kernels::Rounding rounding = kernels::Rounding::Fast;
  PackCacheOptions pack_cache = default_pack_cache();
};

class Engine {
 public:
  Engine(const std::string& model_path, const EngineOptions& opt);

  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const kernels::KernelTable& kernels() const { return kernels_; }
  Session& session() { return *session_; }
  int n_threads() const { return pool_->size(); }
  double load_seconds() const { return load_s_; }
  // "packed weights: cache hit" and the like, for the load report; empty when nothing is packed.
  std::string pack_report() const;

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const kernels::KernelTable& kernels_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Session> session_;
  double load_s_ = 0;
};

}  // namespace minnow::cli
