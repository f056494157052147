#include "engine.h"

#include <chrono>

namespace minnow::cli {

Engine::Engine(const std::string& model_path, const EngineOptions& opt)
    : kernels_(kernels::best_kernels(kernels::detect_cpu_features())) {
  const auto t0 = std::chrono::steady_clock::now();
  pool_ = std::make_unique<ThreadPool>(opt.n_threads > 0 ? opt.n_threads : default_thread_count());
  model_ = Model::load(model_path, &kernels_, pool_.get());
  tokenizer_ = Tokenizer::from_gguf(model_->file());
  session_ = std::make_unique<Session>(*model_, ExecContext{kernels_, *pool_},
                                       SessionOptions{opt.n_ctx, opt.n_batch});
  load_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace minnow::cli
