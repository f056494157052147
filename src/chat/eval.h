#pragma once
// Template interpreter internals shared by eval.cpp, operators.cpp, builtins.cpp, filters.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "chat/ast.h"
#include "chat/value.h"

namespace minnow::chat {

struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;

  const Value* lookup(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

// Bounds that keep hostile templates from exhausting memory, stack or time.
struct Limits {
  size_t max_output = size_t{100} << 20;  // bytes of any one string produced
  int64_t max_iterations = 10'000'000;    // loop iterations + elements built, all together
  int max_depth = 1500;                   // nested evaluation frames (expressions, statements)
  int max_calls = 200;                    // nested macro calls
};

class Interp {
 public:
  Interp(const Program& prog, ScopePtr root) : prog_(prog), root_(std::move(root)) {}

  std::string render();

  Value eval(const Expr& e, const ScopePtr& scope);
  // Calls a function value (builtin, bound method or macro).
  Value call(const Value& fn, CallArgs& args);

  // Budget checks; throw EvalError when exceeded.
  void spend_iterations(int64_t n);
  void check_size(size_t bytes) const;
  const Limits& limits() const { return limits_; }

 private:
  enum class Flow { Normal, Break, Continue };
  struct Frame;

  Flow exec_body(const Body& body, const ScopePtr& scope, std::string& out);
  Flow exec(const Stmt& s, const ScopePtr& scope, std::string& out);
  Flow exec_for(const Stmt& s, const ScopePtr& scope, std::string& out);
  void exec_set(const Stmt& s, const ScopePtr& scope, Value v);
  Value make_macro(const Stmt& s, const ScopePtr& scope, const std::string& name, const Body& body,
                   const std::vector<Param>& params, std::shared_ptr<Function> caller);
  Value eval_inner(const Expr& e, const ScopePtr& scope);
  Value eval_call(const Expr& e, const ScopePtr& scope);
  Value eval_filter(const Expr& e, const ScopePtr& scope, const Value* subject);
  void eval_args(const Expr& e, size_t first, const ScopePtr& scope, CallArgs& args);
  void append(std::string& out, std::string_view s) const;

  const Program& prog_;
  ScopePtr root_;
  Limits limits_;
  int64_t iterations_ = 0;
  int depth_ = 0;
  int calls_ = 0;
  int loop_nesting_ = 0;
};

// operators.cpp
Value binary_op(const std::string& op, const Value& a, const Value& b, const Interp& in);
bool contains(const Value& container, const Value& item);
Value negate(const Value& v);

// builtins.cpp: attribute / item access (Jinja's sandboxed getattr/getitem), globals.
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
void install_globals(Scope& root, Interp& in);
// printf-style `fmt % args` (operators.cpp); used by the format filter too.
Value percent_format(const std::string& fmt, const Value& args);

// filters.cpp
bool has_filter(const std::string& name);
bool has_test(const std::string& name);
Value apply_filter(Interp& in, const std::string& name, const Value& subject, CallArgs& args);
bool apply_test(Interp& in, const std::string& name, const Value& subject, CallArgs& args);

// Raised by raise_exception(): carries the template's own message.
struct RaisedError : EvalError {
  explicit RaisedError(const std::string& m) : EvalError(m) {}
};
// An undefined value was used where Jinja raises UndefinedError.
[[noreturn]] void fail_undefined(const Value& v);

}  // namespace minnow::chat
