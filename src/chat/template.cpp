#include "chat/template.h"

#include "chat/ast.h"
#include "chat/eval.h"

namespace minnow::chat {

TemplateError::TemplateError(int line, int col, const std::string& message, bool raised)
    : minnow::Error("chat template " + std::to_string(line) + ":" + std::to_string(col) + ": " + message),
      line_(line),
      col_(col),
      message_(message),
      raised_(raised) {}

namespace {

// Like Jinja's compiler: unknown filters and tests are errors even in branches never taken.
void check_names(const Expr* e) {
  if (!e) return;
  if (e->kind == ExprKind::Filter && !has_filter(e->name)) {
    throw TemplateError(e->line, e->col, "no filter named '" + e->name + "'");
  }
  if (e->kind == ExprKind::Test && !has_test(e->name)) {
    throw TemplateError(e->line, e->col, "no test named '" + e->name + "'");
  }
  for (const auto& c : e->children) check_names(c.get());
}

void check_names(const Body& body) {
  for (const auto& s : body) {
    check_names(s->expr.get());
    check_names(s->cond.get());
    for (const auto& [c, b] : s->branches) {
      check_names(c.get());
      check_names(b);
    }
    check_names(s->body);
    check_names(s->else_body);
    for (const auto& p : s->params) check_names(p.default_value.get());
    for (const auto& f : s->filters) check_names(f.get());
  }
}

template <class Json>
std::string render_impl(const Program& prog, const Json& context) {
  if (!context.is_object() && !context.is_null()) throw minnow::Error("chat template context must be a JSON object");
  auto root = std::make_shared<Scope>();
  Interp in(prog, root);
  install_globals(*root, in);
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it) {
      try {
        root->vars[it.key()] = from_json(it.value());
      } catch (const EvalError& e) {
        throw minnow::Error("chat template context: " + it.key() + ": " + e.what());
      }
    }
  }
  return in.render();
}

template <class Json>
std::string render_chat_impl(const std::string& tmpl, const Json& messages, bool add_generation_prompt,
                             const std::string& bos, const std::string& eos, const Json& extra) {
  Json ctx = Json::object();
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) ctx[it.key()] = it.value();
  } else if (!extra.is_null()) {
    throw minnow::Error("chat template: extra variables must be a JSON object");
  }
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["bos_token"] = bos;
  ctx["eos_token"] = eos;
  return ChatTemplate::parse(tmpl).render(ctx);
}

}  // namespace

ChatTemplate ChatTemplate::parse(std::string source) {
  auto prog = parse_program(std::move(source));
  check_names(prog->body);
  ChatTemplate t;
  t.program_ = std::move(prog);
  return t;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  return render_impl(*program_, context);
}

std::string ChatTemplate::render(const nlohmann::json& context) const {
  return render_impl(*program_, context);
}

std::string render_chat(const std::string& tmpl, const nlohmann::ordered_json& messages, bool add_generation_prompt,
                        const std::string& bos, const std::string& eos, const nlohmann::ordered_json& extra) {
  return render_chat_impl(tmpl, messages, add_generation_prompt, bos, eos, extra);
}

std::string render_chat(const std::string& tmpl, const nlohmann::json& messages, bool add_generation_prompt,
                        const std::string& bos, const std::string& eos, const nlohmann::json& extra) {
  return render_chat_impl(tmpl, messages, add_generation_prompt, bos, eos, extra);
}

}  // namespace minnow::chat
