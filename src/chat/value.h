#pragma once
// Runtime values of the template engine with Python semantics (Jinja2 evaluates Python
// objects, and the output must match byte for byte): str() / repr() spellings, truthiness,
// equality across int/float/bool, ordering, and JSON in/out as json.dumps writes it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace minnow::chat {

// A runtime error without a source position yet; the evaluator adds line:column.
struct EvalError : std::runtime_error {
  explicit EvalError(const std::string& m) : std::runtime_error(m) {}
};
[[noreturn]] void fail(const std::string& msg);

struct Value;
struct List;
struct Dict;
struct Object;
struct Function;

struct Undefined {
  // Why it is undefined, e.g. "'x' is undefined"; used when the value is misused.
  std::shared_ptr<const std::string> hint;
};
struct None {};

using StrPtr = std::shared_ptr<const std::string>;

struct Value {
  std::variant<Undefined, None, bool, int64_t, double, StrPtr, std::shared_ptr<List>,
               std::shared_ptr<Dict>, std::shared_ptr<Object>, std::shared_ptr<Function>>
      v;

  Value() = default;
  static Value undefined(std::string hint);
  static Value none() { Value r; r.v = None{}; return r; }
  static Value boolean(bool b) { Value r; r.v = b; return r; }
  static Value integer(int64_t i) { Value r; r.v = i; return r; }
  static Value number(double d) { Value r; r.v = d; return r; }
  static Value string(std::string s);
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::shared_ptr<Dict> d);
  static Value object(std::shared_ptr<Object> o);
  static Value function(std::shared_ptr<Function> f);

  bool is_undefined() const { return v.index() == 0; }
  bool is_none() const { return v.index() == 1; }
  bool is_bool() const { return v.index() == 2; }
  bool is_int() const { return v.index() == 3; }
  bool is_float() const { return v.index() == 4; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return v.index() == 5; }
  bool is_list() const { return v.index() == 6; }
  bool is_dict() const { return v.index() == 7; }
  bool is_object() const { return v.index() == 8; }
  bool is_function() const { return v.index() == 9; }

  bool as_bool() const { return std::get<bool>(v); }
  int64_t as_int() const { return std::get<int64_t>(v); }  // exact int only
  double as_double() const;                                // any number (bool too)
  int64_t as_index() const;                                // int or bool
  const std::string& str() const { return *std::get<StrPtr>(v); }
  List& list() const { return *std::get<std::shared_ptr<List>>(v); }
  Dict& dict() const { return *std::get<std::shared_ptr<Dict>>(v); }
  Object& object() const { return *std::get<std::shared_ptr<Object>>(v); }
  Function& function() const { return *std::get<std::shared_ptr<Function>>(v); }
  const std::string& undefined_hint() const;
};

struct List {
  std::vector<Value> items;
  bool tuple = false;
};

// Insertion-ordered mapping with Python key identity (1 == 1.0 == True).
struct Dict {
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<std::string, size_t> index;

  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(const Value& key, Value val);
  void set(const std::string& key, Value val);
};

// Namespaces, loop objects: attribute bags with their own str().
struct Object {
  virtual ~Object() = default;
  virtual Value get_attr(const std::string& name) const = 0;
  virtual std::string to_str() const = 0;
  virtual bool is_namespace() const { return false; }
  virtual void set_attr(const std::string&, Value) {}
};

struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;

  // Positional i, else keyword `name`, else nullopt.
  std::optional<Value> get(size_t i, const char* name) const;
};

struct Function {
  std::string name;
  std::function<Value(CallArgs&)> call;
};

// Python type name as error messages print it ("str", "int", "dict", "NoneType" ...).
std::string type_name(const Value& v);
// Jinja's object_type_repr: "dict object", "None" ...
std::string object_type_repr(const Value& v);

std::string to_str(const Value& v);  // Python str()
std::string repr(const Value& v);    // Python repr()
bool truthy(const Value& v);
bool equals(const Value& a, const Value& b);
// <0, 0, >0; throws TypeError-like minnow::Error for unorderable types.
int compare(const Value& a, const Value& b);
// Canonical hash key for dict lookup; nullopt when unhashable.
std::optional<std::string> hash_key(const Value& v);

// Iteration as Python does for `for x in v`: str -> code points, dict -> keys, undefined -> empty.
std::vector<Value> iterate(const Value& v);
int64_t py_len(const Value& v);

Value from_json(const nlohmann::ordered_json& j);
Value from_json(const nlohmann::json& j);

struct JsonOptions {
  std::optional<std::string> indent;  // nullopt: single line
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
std::string to_json(const Value& v, const JsonOptions& opt);

}  // namespace minnow::chat
