#include "repl_prompt.h"

#include <algorithm>

namespace minnow::cli {

std::vector<int32_t> encode_rendered(const Tokenizer& tok, std::string_view render) {
  std::vector<int32_t> t = tok.encode(render, false, true);
  if (tok.add_bos() && tok.bos() != Tokenizer::kNone && (t.empty() || t.front() != tok.bos()))
    t.insert(t.begin(), tok.bos());
  return t;
}

PromptPlan plan_prompt(const Tokenizer& tok, const HeldText& held, std::span<const int32_t> session_tokens,
                       std::string_view render) {
  PromptPlan p;
  const bool session_unchanged = !held.tokens.empty() && std::ranges::equal(held.tokens, session_tokens);
  if (session_unchanged && render.size() > held.text.size() && render.starts_with(held.text)) {
    const std::vector<int32_t> suffix = tok.encode(render.substr(held.text.size()), false, true);
    p.tokens = held.tokens;
    p.tokens.insert(p.tokens.end(), suffix.begin(), suffix.end());
    p.extends = true;
    p.n_new = suffix.size();
    return p;
  }
  p.tokens = encode_rendered(tok, render);
  return p;
}

std::string generated_text(const Tokenizer& tok, std::span<const int32_t> generated) {
  Detokenizer d(tok, Detokenizer::Options{false, false});
  std::string s;
  for (const int32_t id : generated) s += d.push(id);
  return s + d.flush();
}

bool opens_thinking(std::string_view render) {
  while (!render.empty() && (render.back() == '\n' || render.back() == ' ' || render.back() == '\r'))
    render.remove_suffix(1);
  return render.ends_with("<think>");
}

}  // namespace minnow::cli
