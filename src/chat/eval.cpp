// Statement execution and expression evaluation with Jinja2's scoping: `if` shares its
// scope, each for-loop iteration and each macro call gets a child scope (so a plain `set`
// inside a loop does not leak out, which is why templates use namespace()).
#include "chat/eval.h"

#include "chat/pystr.h"
#include "chat/template.h"

namespace minnow::chat {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

void fail_undefined(const Value& v) {
  const std::string& hint = v.undefined_hint();
  fail(hint.empty() ? "value is undefined" : hint);
}

namespace {

struct DepthGuard {
  DepthGuard(int& depth, int max, const char* what) : depth_(depth) {
    if (++depth_ > max) {
      --depth_;
      fail(what);
    }
  }
  ~DepthGuard() { --depth_; }
  int& depth_;
};

class LoopObject : public Object {
 public:
  LoopObject(std::shared_ptr<const std::vector<Value>> items, size_t index)
      : items_(std::move(items)), i_(index) {}

  Value get_attr(const std::string& name) const override {
    const auto n = static_cast<int64_t>(items_->size());
    const auto i = static_cast<int64_t>(i_);
    if (name == "index") return Value::integer(i + 1);
    if (name == "index0") return Value::integer(i);
    if (name == "revindex") return Value::integer(n - i);
    if (name == "revindex0") return Value::integer(n - i - 1);
    if (name == "first") return Value::boolean(i == 0);
    if (name == "last") return Value::boolean(i == n - 1);
    if (name == "length") return Value::integer(n);
    if (name == "depth") return Value::integer(1);
    if (name == "depth0") return Value::integer(0);
    if (name == "previtem") {
      return i > 0 ? (*items_)[i_ - 1] : Value::undefined("there is no previous item");
    }
    if (name == "nextitem") {
      return i + 1 < n ? (*items_)[i_ + 1] : Value::undefined("there is no next item");
    }
    if (name == "cycle") {
      auto f = std::make_shared<Function>();
      f->name = "cycle";
      size_t idx = i_;
      f->call = [idx](CallArgs& a) -> Value {
        if (a.args.empty()) fail("no items for cycling given");
        return a.args[idx % a.args.size()];
      };
      return Value::function(std::move(f));
    }
    return Value::undefined("'LoopContext object' has no attribute '" + name + "'");
  }

  std::string to_str() const override {
    return "<LoopContext " + std::to_string(i_ + 1) + "/" + std::to_string(items_->size()) + ">";
  }

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  size_t i_;
};

}  // namespace

void Interp::spend_iterations(int64_t n) {
  iterations_ += n;
  if (iterations_ > limits_.max_iterations) {
    fail("template exceeded the limit of " + std::to_string(limits_.max_iterations) + " loop iterations");
  }
}

void Interp::check_size(size_t bytes) const {
  if (bytes > limits_.max_output) fail("template output exceeds the limit of 100 MB");
}

void Interp::append(std::string& out, std::string_view s) const {
  check_size(out.size() + s.size());
  out += s;
}

std::string Interp::render() {
  std::string out;
  Flow f = exec_body(prog_.body, root_, out);
  if (f != Flow::Normal) throw TemplateError(1, 1, "'break' or 'continue' outside of a loop");
  return out;
}

Interp::Flow Interp::exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& s : body) {
    Flow f = exec(*s, scope, out);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interp::Flow Interp::exec(const Stmt& s, const ScopePtr& scope, std::string& out) {
  if (s.kind == StmtKind::Text) {
    append(out, s.text);
    return Flow::Normal;
  }
  try {
    DepthGuard guard(depth_, limits_.max_depth, "template recursion too deep");
    switch (s.kind) {
      case StmtKind::Text: break;
      case StmtKind::Output: {
        Value v = eval(*s.expr, scope);
        if (v.is_string()) append(out, v.str());
        else append(out, to_str(v));
        break;
      }
      case StmtKind::If:
        for (const auto& [cond, body] : s.branches) {
          if (truthy(eval(*cond, scope))) return exec_body(body, scope, out);
        }
        return exec_body(s.else_body, scope, out);
      case StmtKind::For: return exec_for(s, scope, out);
      case StmtKind::Set: exec_set(s, scope, eval(*s.expr, scope)); break;
      case StmtKind::SetBlock: {
        std::string captured;
        if (exec_body(s.body, scope, captured) != Flow::Normal) fail("'break' or 'continue' inside a set block");
        Value v = Value::string(std::move(captured));
        for (const auto& f : s.filters) v = eval_filter(*f, scope, &v);
        exec_set(s, scope, std::move(v));
        break;
      }
      case StmtKind::Macro:
        scope->vars[s.text] = make_macro(s, scope, s.text, s.body, s.params, nullptr);
        break;
      case StmtKind::CallBlock: {
        Value caller = make_macro(s, scope, "caller", s.body, s.params, nullptr);
        const Expr& call = *s.expr;
        Value fn = eval(*call.children[0], scope);
        if (fn.is_undefined()) fail_undefined(fn);
        CallArgs args;
        eval_args(call, 1, scope, args);
        args.kwargs.emplace_back("caller", caller);
        Value v = this->call(fn, args);
        append(out, to_str(v));
        break;
      }
      case StmtKind::FilterBlock: {
        std::string captured;
        Flow f = exec_body(s.body, scope, captured);
        Value v = Value::string(std::move(captured));
        for (const auto& fe : s.filters) v = eval_filter(*fe, scope, &v);
        append(out, to_str(v));
        return f;
      }
      case StmtKind::Break:
      case StmtKind::Continue:
        if (loop_nesting_ == 0) fail(std::string("'") + (s.kind == StmtKind::Break ? "break" : "continue") + "' outside of a loop");
        return s.kind == StmtKind::Break ? Flow::Break : Flow::Continue;
      case StmtKind::Scope: return exec_body(s.body, scope, out);
    }
  } catch (const RaisedError& e) {
    throw TemplateError(s.line, s.col, e.what(), true);
  } catch (const EvalError& e) {
    throw TemplateError(s.line, s.col, e.what());
  }
  return Flow::Normal;
}

namespace {

void bind_target(const Target& t, Scope& scope, const Value& v) {
  if (!t.tuple) {
    scope.vars[t.names[0]] = v;
    return;
  }
  if (v.is_undefined()) fail_undefined(v);
  std::vector<Value> parts = iterate(v);
  if (parts.size() != t.names.size()) {
    fail(parts.size() < t.names.size()
             ? "not enough values to unpack (expected " + std::to_string(t.names.size()) + ", got " + std::to_string(parts.size()) + ")"
             : "too many values to unpack (expected " + std::to_string(t.names.size()) + ")");
  }
  for (size_t i = 0; i < parts.size(); ++i) scope.vars[t.names[i]] = parts[i];
}

}  // namespace

void Interp::exec_set(const Stmt& s, const ScopePtr& scope, Value v) {
  const Target& t = s.target;
  if (!t.attr.empty()) {
    const Value* ns = scope->lookup(t.names[0]);
    if (!ns || !ns->is_object() || !ns->object().is_namespace()) {
      fail("cannot assign attribute on non-namespace object '" + t.names[0] + "'");
    }
    ns->object().set_attr(t.attr, std::move(v));
    return;
  }
  bind_target(t, *scope, v);
}

Interp::Flow Interp::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out) {
  Value seq = eval(*s.expr, scope);
  std::vector<Value> all = iterate(seq);
  auto items = std::make_shared<std::vector<Value>>();
  if (s.cond) {
    for (auto& item : all) {
      spend_iterations(1);
      auto probe = std::make_shared<Scope>();
      probe->parent = scope;
      bind_target(s.target, *probe, item);
      if (truthy(eval(*s.cond, probe))) items->push_back(std::move(item));
    }
  } else {
    *items = std::move(all);
  }
  if (items->empty()) return exec_body(s.else_body, scope, out);
  std::shared_ptr<const std::vector<Value>> shared = items;
  ++loop_nesting_;
  struct Unnest { int& n; ~Unnest() { --n; } } unnest{loop_nesting_};
  for (size_t i = 0; i < shared->size(); ++i) {
    spend_iterations(1);
    auto iter = std::make_shared<Scope>();
    iter->parent = scope;
    bind_target(s.target, *iter, (*shared)[i]);
    iter->vars["loop"] = Value::object(std::make_shared<LoopObject>(shared, i));
    Flow f = exec_body(s.body, iter, out);
    if (f == Flow::Break) break;
  }
  return Flow::Normal;
}

Value Interp::make_macro(const Stmt& s, const ScopePtr& scope, const std::string& name, const Body& body,
                         const std::vector<Param>& params, std::shared_ptr<Function>) {
  auto fn = std::make_shared<Function>();
  fn->name = name;
  // A weak reference: the macro usually lives in the scope it closes over.
  std::weak_ptr<Scope> defining = scope;
  const Stmt* stmt = &s;
  fn->call = [this, defining, stmt, &body, &params, name](CallArgs& args) -> Value {
    DepthGuard guard(calls_, limits_.max_calls, "maximum macro recursion depth exceeded");
    auto ms = std::make_shared<Scope>();
    ms->parent = defining.lock();
    if (!ms->parent) ms->parent = root_;
    std::vector<bool> bound(params.size(), false);
    std::vector<Value> varargs;
    for (size_t i = 0; i < args.args.size(); ++i) {
      if (i < params.size()) {
        ms->vars[params[i].name] = args.args[i];
        bound[i] = true;
      } else {
        varargs.push_back(args.args[i]);
      }
    }
    auto kwargs = std::make_shared<Dict>();
    for (auto& [k, v] : args.kwargs) {
      if (k == "caller") {
        ms->vars["caller"] = v;
        continue;
      }
      bool matched = false;
      for (size_t p = 0; p < params.size(); ++p) {
        if (params[p].name != k) continue;
        if (bound[p]) fail("macro '" + name + "' got multiple values for argument '" + k + "'");
        ms->vars[k] = v;
        bound[p] = matched = true;
      }
      if (!matched) kwargs->set(k, v);
    }
    for (size_t p = 0; p < params.size(); ++p) {
      if (bound[p]) continue;
      ms->vars[params[p].name] = params[p].default_value
                                     ? eval(*params[p].default_value, ms)
                                     : Value::undefined("parameter '" + params[p].name + "' was not provided");
    }
    ms->vars["varargs"] = Value::list(std::move(varargs), true);
    ms->vars["kwargs"] = Value::dict(kwargs);
    std::string out;
    int saved_nesting = loop_nesting_;
    loop_nesting_ = 0;
    struct Restore { int& n; int v; ~Restore() { n = v; } } restore{loop_nesting_, saved_nesting};
    (void)stmt;
    exec_body(body, ms, out);
    return Value::string(std::move(out));
  };
  return Value::function(std::move(fn));
}

Value Interp::call(const Value& fn, CallArgs& args) {
  if (fn.is_undefined()) fail_undefined(fn);
  if (!fn.is_function()) fail("'" + type_name(fn) + "' object is not callable");
  return fn.function().call(args);
}

void Interp::eval_args(const Expr& e, size_t first, const ScopePtr& scope, CallArgs& args) {
  const size_t n = e.children.size();
  const size_t nkw = e.kwnames.size();
  for (size_t i = first; i + nkw < n; ++i) args.args.push_back(eval(*e.children[i], scope));
  for (size_t k = 0; k < nkw; ++k) args.kwargs.emplace_back(e.kwnames[k], eval(*e.children[n - nkw + k], scope));
}

Value Interp::eval(const Expr& e, const ScopePtr& scope) {
  try {
    DepthGuard guard(depth_, limits_.max_depth, "template recursion too deep");
    return eval_inner(e, scope);
  } catch (const RaisedError& err) {
    throw TemplateError(e.line, e.col, err.what(), true);
  } catch (const EvalError& err) {
    throw TemplateError(e.line, e.col, err.what());
  }
}

Value Interp::eval_call(const Expr& e, const ScopePtr& scope) {
  Value fn = eval(*e.children[0], scope);
  CallArgs args;
  eval_args(e, 1, scope, args);
  return call(fn, args);
}

Value Interp::eval_filter(const Expr& e, const ScopePtr& scope, const Value* subject) {
  Value subj = subject ? *subject : eval(*e.children[0], scope);
  CallArgs args;
  eval_args(e, 1, scope, args);
  return apply_filter(*this, e.name, subj, args);
}

Value Interp::eval_inner(const Expr& e, const ScopePtr& scope) {
  switch (e.kind) {
    case ExprKind::Literal: return e.literal;
    case ExprKind::Name: {
      const Value* v = scope->lookup(e.name);
      return v ? *v : Value::undefined("'" + e.name + "' is undefined");
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.children.size());
      for (const auto& c : e.children) items.push_back(eval(*c, scope));
      return Value::list(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      auto d = std::make_shared<Dict>();
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value k = eval(*e.children[i], scope);
        d->set(k, eval(*e.children[i + 1], scope));
      }
      return Value::dict(std::move(d));
    }
    case ExprKind::GetAttr: {
      Value obj = eval(*e.children[0], scope);
      if (obj.is_undefined()) fail_undefined(obj);
      return get_attr(obj, e.name);
    }
    case ExprKind::GetItem: {
      Value obj = eval(*e.children[0], scope);
      Value key = eval(*e.children[1], scope);
      if (obj.is_undefined()) fail_undefined(obj);
      return get_item(obj, key);
    }
    case ExprKind::Slice: {
      Value obj = eval(*e.children[0], scope);
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        parts[i] = e.children[1 + i] ? eval(*e.children[1 + i], scope) : Value::none();
      }
      if (obj.is_undefined()) fail_undefined(obj);
      return get_slice(obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::Call: return eval_call(e, scope);
    case ExprKind::Filter: return eval_filter(e, scope, nullptr);
    case ExprKind::Test: {
      Value subj = eval(*e.children[0], scope);
      CallArgs args;
      eval_args(e, 1, scope, args);
      bool r = apply_test(*this, e.name, subj, args);
      return Value::boolean(e.negated ? !r : r);
    }
    case ExprKind::Neg: return negate(eval(*e.children[0], scope));
    case ExprKind::Pos: {
      Value v = eval(*e.children[0], scope);
      if (v.is_undefined()) fail_undefined(v);
      if (!v.is_number()) fail("bad operand type for unary +: '" + type_name(v) + "'");
      return v.is_bool() ? Value::integer(v.as_index()) : v;
    }
    case ExprKind::Not: return Value::boolean(!truthy(eval(*e.children[0], scope)));
    case ExprKind::And: {
      Value a = eval(*e.children[0], scope);
      return truthy(a) ? eval(*e.children[1], scope) : a;
    }
    case ExprKind::Or: {
      Value a = eval(*e.children[0], scope);
      return truthy(a) ? a : eval(*e.children[1], scope);
    }
    case ExprKind::Binary:
      return binary_op(e.name, eval(*e.children[0], scope), eval(*e.children[1], scope), *this);
    case ExprKind::Concat: {
      std::string s = to_str(eval(*e.children[0], scope));
      s += to_str(eval(*e.children[1], scope));
      check_size(s.size());
      return Value::string(std::move(s));
    }
    case ExprKind::Compare: {
      Value left = eval(*e.children[0], scope);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.children[i + 1], scope);
        const std::string& op = e.ops[i];
        bool r;
        if (op == "==") r = equals(left, right);
        else if (op == "!=") r = !equals(left, right);
        else if (op == "in") r = contains(right, left);
        else if (op == "notin") r = !contains(right, left);
        else {
          if (left.is_undefined()) fail_undefined(left);
          if (right.is_undefined()) fail_undefined(right);
          int c = compare(left, right);
          if (op == "<") r = c < 0;
          else if (op == "<=") r = c <= 0 && !(left.is_float() && std::isnan(left.as_double()));
          else if (op == ">") r = c > 0;
          else r = c >= 0 && !(left.is_float() && std::isnan(left.as_double()));
        }
        if (!r) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case ExprKind::Cond: {
      if (truthy(eval(*e.children[1], scope))) return eval(*e.children[0], scope);
      if (e.children[2]) return eval(*e.children[2], scope);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined");
    }
  }
  fail("unsupported expression");
}

}  // namespace minnow::chat
