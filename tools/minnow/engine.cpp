#include "engine.h"

#include <chrono>
#include <cstdlib>

#include "util/error.h"

namespace minnow::cli {

PackCacheOptions default_pack_cache() {
  PackCacheOptions o;
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (const std::string set = env("MINNOW_PACK_CACHE"); !set.empty()) {
    if (set != "off" && set != "0") o.dir = set;
  } else if (const std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty() && xdg[0] == '/') {
    o.dir = xdg + "/minnow/packed";
  } else if (const std::string home = env("HOME"); !home.empty()) {
    o.dir = home + "/.cache/minnow/packed";
  }
  return o;
}

kernels::Rounding parse_rounding(const std::string& text) {
  if (text == "fast") return kernels::Rounding::Fast;
  if (text == "llama.cpp") return kernels::Rounding::LlamaCpp;
  throw Error("--rounding: expected fast or llama.cpp, got '" + text + "'");
}

std::string Engine::pack_report() const {
  if (model_->packed_bytes() == 0) return "";
  const std::string& s = model_->pack_cache_status();
  if (s == "off") return "packed weights: no cache";
  return "packed weights: cache " + s;
}

Engine::Engine(const std::string& model_path, const EngineOptions& opt)
    : kernels_(kernels::best_kernels(kernels::detect_cpu_features(), opt.rounding)) {
  const auto t0 = std::chrono::steady_clock::now();
  pool_ = std::make_unique<ThreadPool>(opt.n_threads > 0 ? opt.n_threads : default_thread_count());
  model_ = Model::load(model_path, &kernels_, pool_.get(), &opt.pack_cache);
  tokenizer_ = Tokenizer::from_gguf(model_->file());
  session_ = std::make_unique<Session>(*model_, ExecContext{kernels_, *pool_},
                                       SessionOptions{opt.n_ctx, opt.n_batch > 0 ? opt.n_batch : kernels_.prefill_rows});
  load_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace minnow::cli
