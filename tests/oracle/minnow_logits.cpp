// Minnow's side of the oracle harness: every-position logits from a fresh Session.
#include "kernels/kernels.h"
#include "model/model.h"
#include "oracle.h"
#include "runtime/sampler.h"
#include "runtime/session.h"
#include "util/thread_pool.h"

namespace minnow::oracle {

namespace {

const kernels::KernelTable& table(bool llama_rounding) {
  return kernels::best_kernels(kernels::detect_cpu_features(),
                               llama_rounding ? kernels::Rounding::LlamaCpp : kernels::Rounding::Fast);
}

}  // namespace

std::vector<float> minnow_logits(const std::string& gguf_path, const std::vector<int32_t>& tokens, bool llama_rounding) {
  const kernels::KernelTable& kt = table(llama_rounding);
  const auto model = Model::load(gguf_path, &kt);
  ThreadPool pool(1);
  SessionOptions so;
  so.n_ctx = int(tokens.size());
  Session session(*model, ExecContext{kt, pool}, so);
  return session.eval_all(tokens);
}

std::vector<int32_t> minnow_greedy(const std::string& gguf_path, const std::vector<int32_t>& prompt, int n,
                                   bool llama_rounding) {
  const kernels::KernelTable& kt = table(llama_rounding);
  const auto model = Model::load(gguf_path, &kt);
  ThreadPool pool(1);
  SessionOptions so;
  so.n_ctx = int(prompt.size()) + n;
  Session session(*model, ExecContext{kt, pool}, so);
  std::vector<int32_t> out;
  auto logits = session.eval(prompt);
  for (int i = 0; i < n; ++i) {
    out.push_back(argmax(logits));
    if (i + 1 < n) logits = session.eval(std::span<const int32_t>(&out.back(), 1));
  }
  return out;
}

}  // namespace minnow::oracle
