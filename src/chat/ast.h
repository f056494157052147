#pragma once
// Parsed template: expression and statement trees.
#include <memory>
#include <string>
#include <vector>

#include "chat/value.h"

namespace minnow::chat {

enum class ExprKind {
  Literal, Name, List, Tuple, Dict, GetAttr, GetItem, Slice, Call, Filter, Test,
  Neg, Pos, Not, And, Or, Binary, Compare, Cond, Concat,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::Literal;
  int line = 1;
  int col = 1;
  Value literal;                  // Literal
  std::string name;               // Name; GetAttr attribute; Filter/Test name; Binary operator
  // Operands. Call: [callee, args...]; Filter/Test: [subject, args...]; Slice: [obj, start,
  // stop, step] (null when omitted); Dict: key, value, key, value...; Cond: [then, cond, else].
  std::vector<ExprPtr> children;
  std::vector<std::string> kwnames;  // Call/Filter/Test: names of the last kwnames.size() args
  std::vector<std::string> ops;      // Compare: operators between children
  bool negated = false;              // Test: `is not`
  int height = 1;                    // 1 + tallest child
};

enum class StmtKind { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, Break, Continue, Scope };

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

// Assignment target: a name, a tuple of names, or `ns.attr`.
struct Target {
  std::vector<std::string> names;
  bool tuple = false;
  std::string attr;  // non-empty: names[0].attr
};

struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  StmtKind kind = StmtKind::Text;
  int line = 1;
  int col = 1;
  std::string text;   // Text; Macro name
  ExprPtr expr;       // Output; For iterable; Set value; CallBlock call
  ExprPtr cond;       // For `if` filter
  Target target;      // For, Set, SetBlock
  std::vector<std::pair<ExprPtr, Body>> branches;  // If: (condition, body) for if/elif
  Body body;
  Body else_body;     // If else; For else
  std::vector<Param> params;   // Macro, CallBlock
  std::vector<ExprPtr> filters;  // FilterBlock / SetBlock filters: Filter exprs with a null subject
};

struct Program {
  std::string source;  // normalized
  Body body;
};

// Throws TemplateError on syntax errors.
std::shared_ptr<Program> parse_program(std::string source);

}  // namespace minnow::chat
