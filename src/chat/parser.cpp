// Recursive-descent parser following Jinja2's grammar and operator precedence:
// cond-expr < or < and < not < compare/in < + - < ~ < * / // % < ** < unary - + < postfix
// (attribute, subscript, call) < filters and tests (which bind tighter than binary operators).
#include <cerrno>
#include <cstdlib>
#include <set>

#include "chat/ast.h"
#include "chat/lexer.h"
#include "chat/template.h"

namespace minnow::chat {

namespace {

// Deep nesting is rejected instead of recursing without bound; Python's Jinja2 fails a little
// later with a RecursionError.
constexpr int kMaxNesting = 200;
constexpr int kMaxHeight = 400;

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Body parse_template() {
    Body body = parse_body({});
    if (cur().type != Tok::Eof) {
      // parse_body only stops early at an end tag nobody opened.
      fail_at(t_[i_ + 1], "unexpected '" + t_[i_ + 1].text + "' (no open block to close)");
    }
    return body;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) p_.fail_at(p_.cur(), "template nested too deeply");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  void advance() { if (i_ + 1 < t_.size()) ++i_; }

  [[noreturn]] void fail_at(const Token& tok, const std::string& msg) const {
    throw TemplateError(tok.line, tok.col, msg);
  }

  static std::string describe(const Token& tok) {
    switch (tok.type) {
      case Tok::Eof: return "end of template";
      case Tok::VarEnd: return "'}}'";
      case Tok::BlockEnd: return "'%}'";
      case Tok::Text: return "template text";
      case Tok::String: return "string literal";
      default: return "'" + tok.text + "'";
    }
  }

  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().text == n; }
  bool skip_op(const char* op) { if (is_op(op)) { advance(); return true; } return false; }
  bool skip_name(const char* n) { if (is_name(n)) { advance(); return true; } return false; }

  void expect_op(const char* op) {
    if (!skip_op(op)) fail_at(cur(), std::string("expected '") + op + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) fail_at(cur(), "expected a name, got " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd) fail_at(cur(), "expected '%}', got " + describe(cur()));
    advance();
  }

  // Appends a child, keeping the tree height bounded: evaluation and destruction recurse
  // over it, and long operator chains (a.b.c... or x|f|f...) are built by loops, not recursion.
  void add(Expr& parent, ExprPtr child) {
    if (child) {
      parent.height = std::max(parent.height, child->height + 1);
      if (parent.height > kMaxHeight) throw TemplateError(child->line, child->col, "expression nested too deeply");
    }
    parent.children.push_back(std::move(child));
  }

  ExprPtr node(ExprKind k, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = at.line;
    e->col = at.col;
    return e;
  }

  // ---- statements ----

  // Parses until a `{% <end tag> %}` in `ends` (left unconsumed, positioned at its name).
  Body parse_body(const std::set<std::string>& ends) {
    Body body;
    for (;;) {
      const Token& tok = cur();
      if (tok.type == Tok::Eof) return body;
      if (tok.type == Tok::Text) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Text;
        s->line = tok.line;
        s->col = tok.col;
        s->text = tok.text;
        body.push_back(std::move(s));
        advance();
      } else if (tok.type == Tok::VarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Output;
        s->line = tok.line;
        s->col = tok.col;
        advance();
        s->expr = parse_tuple(false, {});
        if (cur().type != Tok::VarEnd) fail_at(cur(), "expected '}}', got " + describe(cur()));
        advance();
        body.push_back(std::move(s));
      } else if (tok.type == Tok::BlockBegin) {
        const Token& name = peek();
        if (name.type == Tok::Name && ends.count(name.text)) {
          advance();
          return body;
        }
        if (name.type == Tok::Name && is_end_tag(name.text)) {
          if (ends.empty()) fail_at(name, "unexpected '" + name.text + "' (no open block to close)");
          fail_at(name, "unexpected '" + name.text + "', expected " + join_ends(ends));
        }
        advance();
        body.push_back(parse_statement(tok));
      } else {
        fail_at(tok, "unexpected " + describe(tok));
      }
    }
  }

  static bool is_end_tag(const std::string& n) {
    return n.rfind("end", 0) == 0 || n == "else" || n == "elif";
  }
  static std::string join_ends(const std::set<std::string>& ends) {
    std::string s;
    for (const auto& e : ends) s += (s.empty() ? "'" : " or '") + e + "'";
    return s;
  }

  // Body of a block opened at `open` (tag `tag`); consumes the end tag name, returns which.
  std::string parse_block(Body& body, const Token& open, const std::string& tag, const std::set<std::string>& ends) {
    body = parse_body(ends);
    if (cur().type == Tok::Eof) {
      fail_at(open, "unclosed '" + tag + "' block (expected " + join_ends(ends) + " before the end of the template)");
    }
    std::string which = cur().text;
    advance();
    return which;
  }

  std::unique_ptr<Stmt> parse_statement(const Token& open) {
    DepthGuard guard(*this);
    auto s = std::make_unique<Stmt>();
    s->line = open.line;
    s->col = open.col;
    const Token& kw = cur();
    if (kw.type != Tok::Name) fail_at(kw, "expected a statement name, got " + describe(kw));
    const std::string name = kw.text;
    advance();
    if (name == "if") {
      s->kind = StmtKind::If;
      ExprPtr c = parse_expression();
      expect_block_end();
      for (;;) {
        Body b;
        std::string which = parse_block(b, open, "if", {"elif", "else", "endif"});
        s->branches.emplace_back(std::move(c), std::move(b));
        if (which == "elif") {
          c = parse_expression();
          expect_block_end();
          continue;
        }
        if (which == "else") {
          expect_block_end();
          parse_block(s->else_body, open, "if", {"endif"});
        }
        expect_block_end();
        return s;
      }
    }
    if (name == "for") {
      s->kind = StmtKind::For;
      s->target = parse_target(false);
      if (!skip_name("in")) fail_at(cur(), "expected 'in' in for loop, got " + describe(cur()));
      s->expr = parse_tuple(true, {"if", "recursive"});
      if (is_name("recursive")) fail_at(cur(), "recursive for loops are not supported");
      if (skip_name("if")) s->cond = parse_expression();
      expect_block_end();
      std::string which = parse_block(s->body, open, "for", {"else", "endfor"});
      if (which == "else") {
        expect_block_end();
        parse_block(s->else_body, open, "for", {"endfor"});
      }
      expect_block_end();
      return s;
    }
    if (name == "set") {
      s->target = parse_target(true);
      if (skip_op("=")) {
        s->kind = StmtKind::Set;
        s->expr = parse_tuple(false, {});
        expect_block_end();
        return s;
      }
      s->kind = StmtKind::SetBlock;
      if (s->target.tuple || !s->target.attr.empty()) fail_at(cur(), "block set needs a single name");
      parse_filter_chain(s->filters);
      expect_block_end();
      parse_block(s->body, open, "set", {"endset"});
      expect_block_end();
      return s;
    }
    if (name == "macro") {
      s->kind = StmtKind::Macro;
      s->text = expect_name();
      parse_params(s->params, true);
      expect_block_end();
      parse_block(s->body, open, "macro", {"endmacro"});
      if (cur().type == Tok::Name && cur().text == s->text) advance();
      expect_block_end();
      return s;
    }
    if (name == "call") {
      s->kind = StmtKind::CallBlock;
      if (is_op("(")) parse_params(s->params, false);
      s->expr = parse_expression();
      if (s->expr->kind != ExprKind::Call) fail_at(open, "expected a call after 'call'");
      expect_block_end();
      parse_block(s->body, open, "call", {"endcall"});
      expect_block_end();
      return s;
    }
    if (name == "filter") {
      s->kind = StmtKind::FilterBlock;
      parse_filter_chain(s->filters, true);
      expect_block_end();
      parse_block(s->body, open, "filter", {"endfilter"});
      expect_block_end();
      return s;
    }
    if (name == "generation") {  // transformers' assistant-mask marker: renders its body
      s->kind = StmtKind::Scope;
      expect_block_end();
      parse_block(s->body, open, "generation", {"endgeneration"});
      expect_block_end();
      return s;
    }
    if (name == "break" || name == "continue") {
      s->kind = name == "break" ? StmtKind::Break : StmtKind::Continue;
      expect_block_end();
      return s;
    }
    fail_at(kw, "unknown tag '" + name + "'");
  }

  void parse_filter_chain(std::vector<ExprPtr>& out, bool first_without_pipe = false) {
    bool first = true;
    while ((first && first_without_pipe) || skip_op("|")) {
      first = false;
      out.push_back(parse_filter_call(nullptr));
    }
  }

  void parse_params(std::vector<Param>& params, bool required) {
    if (!skip_op("(")) {
      if (required) fail_at(cur(), "expected '(' after macro name");
      return;
    }
    while (!skip_op(")")) {
      if (!params.empty()) expect_op(",");
      if (skip_op(")")) break;
      Param p;
      p.name = expect_name();
      if (skip_op("=")) p.default_value = parse_expression();
      params.push_back(std::move(p));
    }
  }

  Target parse_target(bool allow_attr) {
    Target t;
    bool paren = skip_op("(");
    t.names.push_back(expect_name());
    if (allow_attr && !paren && skip_op(".")) {
      t.attr = expect_name();
      return t;
    }
    while (skip_op(",")) {
      t.tuple = true;
      if (cur().type != Tok::Name || is_name("in")) break;
      t.names.push_back(expect_name());
    }
    if (paren) { expect_op(")"); t.tuple = true; }
    return t;
  }

  // ---- expressions ----

  bool tuple_end(const std::set<std::string>& extra) const {
    const Token& c = cur();
    if (c.type == Tok::VarEnd || c.type == Tok::BlockEnd || c.type == Tok::Eof) return true;
    if (c.type == Tok::Op && c.text == ")") return true;
    return c.type == Tok::Name && extra.count(c.text);
  }

  ExprPtr parse_tuple(bool simplified, const std::set<std::string>& extra, bool explicit_parens = false) {
    const Token& start = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    for (;;) {
      if (!items.empty()) {
        if (!skip_op(",")) break;
        is_tuple = true;
      }
      if (tuple_end(extra)) break;
      items.push_back(simplified ? parse_or() : parse_expression());
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail_at(cur(), "expected an expression, got " + describe(cur()));
    }
    auto e = node(ExprKind::Tuple, start);
    for (auto& it : items) add(*e, std::move(it));
    return e;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    ExprPtr e = parse_or();
    while (is_name("if")) {
      const Token& at = cur();
      advance();
      ExprPtr c = parse_or();
      ExprPtr other;
      if (skip_name("else")) other = parse_expression();
      auto n = node(ExprKind::Cond, at);
      add(*n, std::move(e));
      add(*n, std::move(c));
      add(*n, std::move(other));
      e = std::move(n);
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      auto n = node(ExprKind::Or, cur());
      advance();
      add(*n, std::move(e));
      add(*n, parse_and());
      e = std::move(n);
    }
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      auto n = node(ExprKind::And, cur());
      advance();
      add(*n, std::move(e));
      add(*n, parse_not());
      e = std::move(n);
    }
    return e;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto n = node(ExprKind::Not, cur());
      advance();
      add(*n, parse_not());
      return n;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& start = cur();
    ExprPtr first = parse_math1();
    std::vector<ExprPtr> rest;
    std::vector<std::string> ops;
    for (;;) {
      const Token& c = cur();
      if (c.type == Tok::Op && (c.text == "==" || c.text == "!=" || c.text == "<" || c.text == "<=" ||
                                c.text == ">" || c.text == ">=")) {
        ops.push_back(c.text);
        advance();
      } else if (is_name("in")) {
        ops.push_back("in");
        advance();
      } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
        ops.push_back("notin");
        advance();
        advance();
      } else {
        break;
      }
      rest.push_back(parse_math1());
    }
    if (ops.empty()) return first;
    auto n = node(ExprKind::Compare, start);
    add(*n, std::move(first));
    for (auto& r : rest) add(*n, std::move(r));
    n->ops = std::move(ops);
    return n;
  }

  ExprPtr binary(ExprPtr l, const Token& op, ExprPtr r, ExprKind kind = ExprKind::Binary) {
    auto n = node(kind, op);
    n->name = op.text;
    add(*n, std::move(l));
    add(*n, std::move(r));
    return n;
  }

  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      Token op = cur();
      advance();
      e = binary(std::move(e), op, parse_concat());
    }
    return e;
  }

  ExprPtr parse_concat() {
    ExprPtr e = parse_math2();
    while (is_op("~")) {
      Token op = cur();
      advance();
      e = binary(std::move(e), op, parse_math2(), ExprKind::Concat);
    }
    return e;
  }

  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      Token op = cur();
      advance();
      e = binary(std::move(e), op, parse_pow());
    }
    return e;
  }

  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (is_op("**")) {
      Token op = cur();
      advance();
      e = binary(std::move(e), op, parse_unary(true));
    }
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      auto n = node(is_op("-") ? ExprKind::Neg : ExprKind::Pos, cur());
      advance();
      add(*n, parse_unary(false));
      e = std::move(n);
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& tok = cur();
    switch (tok.type) {
      case Tok::Name: {
        auto e = node(ExprKind::Literal, tok);
        const std::string& n = tok.text;
        if (n == "true" || n == "True") e->literal = Value::boolean(true);
        else if (n == "false" || n == "False") e->literal = Value::boolean(false);
        else if (n == "none" || n == "None") e->literal = Value::none();
        else { e->kind = ExprKind::Name; e->name = n; }
        advance();
        return e;
      }
      case Tok::String: {
        auto e = node(ExprKind::Literal, tok);
        std::string s;
        while (cur().type == Tok::String) { s += cur().text; advance(); }
        e->literal = Value::string(std::move(s));
        return e;
      }
      case Tok::Int: {
        auto e = node(ExprKind::Literal, tok);
        const std::string& sp = tok.text;
        int base = 10;
        const char* digits = sp.c_str();
        if (sp.size() > 2 && sp[0] == '0' && (sp[1] == 'x' || sp[1] == 'o' || sp[1] == 'b')) {
          base = sp[1] == 'x' ? 16 : (sp[1] == 'o' ? 8 : 2);
          digits += 2;
        }
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(digits, &end, base);
        if (errno == ERANGE) fail_at(tok, "integer literal too large");
        e->literal = Value::integer(v);
        advance();
        return e;
      }
      case Tok::Float: {
        auto e = node(ExprKind::Literal, tok);
        e->literal = Value::number(std::strtod(tok.text.c_str(), nullptr));
        advance();
        return e;
      }
      case Tok::Op: {
        DepthGuard guard(*this);
        if (tok.text == "(") {
          advance();
          ExprPtr e = parse_tuple(false, {}, true);
          expect_op(")");
          return e;
        }
        if (tok.text == "[") {
          auto e = node(ExprKind::List, tok);
          advance();
          while (!skip_op("]")) {
            if (!e->children.empty()) expect_op(",");
            if (skip_op("]")) break;
            add(*e, parse_expression());
          }
          return e;
        }
        if (tok.text == "{") {
          auto e = node(ExprKind::Dict, tok);
          advance();
          while (!skip_op("}")) {
            if (!e->children.empty()) expect_op(",");
            if (skip_op("}")) break;
            add(*e, parse_expression());
            expect_op(":");
            add(*e, parse_expression());
          }
          return e;
        }
        break;
      }
      default: break;
    }
    fail_at(tok, "unexpected " + describe(tok) + " in expression");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    for (;;) {
      if (is_op(".")) {
        const Token& at = cur();
        advance();
        if (cur().type == Tok::Int) {
          auto n = node(ExprKind::GetItem, at);
          auto idx = node(ExprKind::Literal, cur());
          idx->literal = Value::integer(std::strtoll(cur().text.c_str(), nullptr, 10));
          advance();
          add(*n, std::move(e));
          add(*n, std::move(idx));
          e = std::move(n);
        } else {
          auto n = node(ExprKind::GetAttr, at);
          n->name = expect_name();
          add(*n, std::move(e));
          e = std::move(n);
        }
      } else if (is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    const Token& at = cur();
    advance();
    ExprPtr parts[3];
    int part = 0;
    bool is_slice = false;
    while (!is_op("]")) {
      if (skip_op(":")) {
        is_slice = true;
        if (++part > 2) fail_at(cur(), "too many ':' in slice");
        continue;
      }
      if (parts[part]) fail_at(cur(), "expected ']' or ':', got " + describe(cur()));
      parts[part] = parse_expression();
    }
    advance();
    if (!is_slice) {
      if (!parts[0]) fail_at(at, "empty subscript");
      auto n = node(ExprKind::GetItem, at);
      add(*n, std::move(obj));
      add(*n, std::move(parts[0]));
      return n;
    }
    auto n = node(ExprKind::Slice, at);
    add(*n, std::move(obj));
    for (auto& p : parts) add(*n, std::move(p));
    return n;
  }

  // Parses "(args)" into e->children / e->kwnames.
  void parse_args(Expr& e) {
    expect_op("(");
    std::vector<ExprPtr> kwvals;
    bool first = true;
    while (!skip_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (skip_op(")")) break;
      if (is_op("*") || is_op("**")) fail_at(cur(), "*args / **kwargs in calls are not supported");
      if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
        e.kwnames.push_back(cur().text);
        advance();
        advance();
        kwvals.push_back(parse_expression());
      } else {
        if (!kwvals.empty()) fail_at(cur(), "positional argument follows keyword argument");
        add(e, parse_expression());
      }
    }
    for (auto& v : kwvals) add(e, std::move(v));
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto n = node(ExprKind::Call, cur());
    add(*n, std::move(callee));
    parse_args(*n);
    return n;
  }

  ExprPtr parse_filter_call(ExprPtr subject) {
    const Token& at = cur();
    auto n = node(ExprKind::Filter, at);
    n->name = expect_name();
    while (is_op(".")) {
      advance();
      n->name += '.';
      n->name += expect_name();
    }
    add(*n, std::move(subject));
    if (is_op("(")) parse_args(*n);
    return n;
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    for (;;) {
      if (skip_op("|")) {
        e = parse_filter_call(std::move(e));
      } else if (is_name("is")) {
        DepthGuard guard(*this);
        auto n = node(ExprKind::Test, cur());
        advance();
        n->negated = skip_name("not");
        n->name = expect_name();
        while (is_op(".")) {
      advance();
      n->name += '.';
      n->name += expect_name();
    }
        add(*n, std::move(e));
        const Token& c = cur();
        if (is_op("(")) {
          parse_args(*n);
        } else if ((c.type == Tok::Name || c.type == Tok::String || c.type == Tok::Int || c.type == Tok::Float ||
                    is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail_at(c, "cannot chain multiple tests with 'is'");
          add(*n, parse_postfix(parse_primary()));
        }
        e = std::move(n);
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::shared_ptr<Program> parse_program(std::string source) {
  auto prog = std::make_shared<Program>();
  prog->source = normalize_newlines(source);
  Parser p(tokenize(prog->source));
  prog->body = p.parse_template();
  return prog;
}

}  // namespace minnow::chat
