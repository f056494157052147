#include "runtime/generate.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "util/error.h"

namespace minnow {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

GenerateStats generate(Session& session, const Tokenizer& tok, Sampler& sampler,
                       std::span<const int32_t> prompt, const GenerateOptions& opt,
                       const std::function<bool(std::string_view)>& on_text) {
  GenerateStats st;
  st.n_prompt = int(prompt.size());
  if (prompt.empty()) throw Error("the prompt is empty");
  if (prompt.size() >= size_t(session.n_ctx()))
    throw Error("the prompt is " + std::to_string(prompt.size()) + " tokens but the context holds " +
                std::to_string(session.n_ctx()) + " (raise -c/--ctx-size or shorten the prompt)");

  // Reuse the cached prefix; at least the last prompt token is recomputed for its logits.
  const auto& cached = session.tokens();
  size_t common = 0;
  while (common < cached.size() && common + 1 < prompt.size() && cached[common] == prompt[common]) ++common;
  session.truncate(common);
  const auto todo = prompt.subspan(common);
  st.n_prefilled = int(todo.size());

  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits;
  {
    const auto l = session.eval(todo);
    logits.assign(l.begin(), l.end());
  }
  st.prefill_s = seconds_since(t0);

  Detokenizer detok(tok, Detokenizer::Options{opt.render_special, false});
  t0 = std::chrono::steady_clock::now();
  while (opt.n_predict < 0 || st.n_generated < opt.n_predict) {
    const int32_t next = sampler.sample(logits, session.tokens());
    if (tok.is_eog(next)) {
      st.stopped_eog = true;
      break;
    }
    ++st.n_generated;
    const std::string text = detok.push(next);
    if (!text.empty() && !on_text(text)) {
      st.cancelled = true;
      break;
    }
    if (opt.n_predict >= 0 && st.n_generated >= opt.n_predict) break;
    if (session.tokens().size() >= size_t(session.n_ctx())) {
      st.stopped_ctx = true;
      break;
    }
    const int32_t one[1] = {next};
    const auto l = session.eval(one);
    logits.assign(l.begin(), l.end());
  }
  if (const std::string rest = detok.flush(); !rest.empty() && !st.cancelled) on_text(rest);
  st.decode_s = seconds_since(t0);
  return st;
}

}  // namespace minnow
