#include "chat/value.h"

#include <algorithm>
#include <cmath>

#include "chat/pystr.h"

namespace minnow::chat {

void fail(const std::string& msg) { throw EvalError(msg); }

Value Value::undefined(std::string hint) {
  Value r;
  r.v = Undefined{std::make_shared<const std::string>(std::move(hint))};
  return r;
}
Value Value::string(std::string s) {
  Value r;
  r.v = std::make_shared<const std::string>(std::move(s));
  return r;
}
Value Value::list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<List>();
  l->items = std::move(items);
  l->tuple = tuple;
  Value r;
  r.v = std::move(l);
  return r;
}
Value Value::dict(std::shared_ptr<Dict> d) { Value r; r.v = std::move(d); return r; }
Value Value::object(std::shared_ptr<Object> o) { Value r; r.v = std::move(o); return r; }
Value Value::function(std::shared_ptr<Function> f) { Value r; r.v = std::move(f); return r; }

double Value::as_double() const {
  if (is_float()) return std::get<double>(v);
  if (is_int()) return static_cast<double>(std::get<int64_t>(v));
  if (is_bool()) return std::get<bool>(v) ? 1.0 : 0.0;
  fail("expected a number, got " + type_name(*this));
}

int64_t Value::as_index() const {
  if (is_int()) return std::get<int64_t>(v);
  if (is_bool()) return std::get<bool>(v) ? 1 : 0;
  fail("'" + type_name(*this) + "' object cannot be interpreted as an integer");
}

const std::string& Value::undefined_hint() const {
  static const std::string kNone;
  const auto& u = std::get<Undefined>(v);
  return u.hint ? *u.hint : kNone;
}

const Value* Dict::find(const Value& key) const {
  auto k = hash_key(key);
  if (!k) return nullptr;
  auto it = index.find(*k);
  return it == index.end() ? nullptr : &entries[it->second].second;
}

const Value* Dict::find(const std::string& key) const {
  auto it = index.find("s:" + key);
  return it == index.end() ? nullptr : &entries[it->second].second;
}

void Dict::set(const Value& key, Value val) {
  auto k = hash_key(key);
  if (!k) fail("unhashable type: '" + type_name(key) + "'");
  auto [it, inserted] = index.emplace(*k, entries.size());
  if (inserted) entries.emplace_back(key, std::move(val));
  else entries[it->second].second = std::move(val);
}

void Dict::set(const std::string& key, Value val) { set(Value::string(key), std::move(val)); }

std::optional<Value> CallArgs::get(size_t i, const char* name) const {
  if (i < args.size()) return args[i];
  for (const auto& [k, v] : kwargs) if (k == name) return v;
  return std::nullopt;
}

std::string type_name(const Value& v) {
  switch (v.v.index()) {
    case 0: return "Undefined";
    case 1: return "NoneType";
    case 2: return "bool";
    case 3: return "int";
    case 4: return "float";
    case 5: return "str";
    case 6: return v.list().tuple ? "tuple" : "list";
    case 7: return "dict";
    case 8: return v.object().is_namespace() ? "Namespace" : "LoopContext";
    default: return "function";
  }
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  return type_name(v) + " object";
}

namespace {

void append_repr(std::string& out, const Value& v);

void append_str(std::string& out, const Value& v) {
  switch (v.v.index()) {
    case 0: return;
    case 1: out += "None"; return;
    case 2: out += v.as_bool() ? "True" : "False"; return;
    case 3: out += std::to_string(v.as_int()); return;
    case 4: out += pystr::float_repr(std::get<double>(v.v)); return;
    case 5: out += v.str(); return;
    case 6: {
      const List& l = v.list();
      out += l.tuple ? '(' : '[';
      for (size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        append_repr(out, l.items[i]);
      }
      if (l.tuple && l.items.size() == 1) out += ',';
      out += l.tuple ? ')' : ']';
      return;
    }
    case 7: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.dict().entries) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, k);
        out += ": ";
        append_repr(out, val);
      }
      out += '}';
      return;
    }
    case 8: out += v.object().to_str(); return;
    default: out += "<function " + v.function().name + ">"; return;
  }
}

void append_repr(std::string& out, const Value& v) {
  if (v.is_string()) out += pystr::repr(v.str());
  else if (v.is_undefined()) out += "Undefined";
  else append_str(out, v);
}

}  // namespace

std::string to_str(const Value& v) {
  if (v.is_string()) return v.str();
  std::string out;
  append_str(out, v);
  return out;
}

std::string repr(const Value& v) {
  std::string out;
  append_repr(out, v);
  return out;
}

bool truthy(const Value& v) {
  switch (v.v.index()) {
    case 0: case 1: return false;
    case 2: return v.as_bool();
    case 3: return v.as_int() != 0;
    case 4: return std::get<double>(v.v) != 0.0;
    case 5: return !v.str().empty();
    case 6: return !v.list().items.empty();
    case 7: return !v.dict().entries.empty();
    default: return true;
  }
}

namespace {

// Exact comparison of an int64 with a double (no rounding surprises near 2^63).
int cmp_int_double(int64_t a, double b) {
  if (std::isnan(b)) return 2;  // unordered
  if (b >= 9.3e18) return -1;
  if (b <= -9.3e18) return 1;
  double fb = std::floor(b);
  auto ib = static_cast<int64_t>(fb);
  if (a != ib) return a < ib ? -1 : 1;
  return fb == b ? 0 : -1;
}

int cmp_numbers(const Value& a, const Value& b) {
  if (a.is_float() || b.is_float()) {
    if (a.is_float() && b.is_float()) {
      double x = a.as_double(), y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return 2;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_float()) { int c = cmp_int_double(b.as_index(), a.as_double()); return c == 2 ? 2 : -c; }
    return cmp_int_double(a.as_index(), b.as_double());
  }
  int64_t x = a.as_index(), y = b.as_index();
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return cmp_numbers(a, b) == 0;
  if (a.v.index() != b.v.index()) return false;
  switch (a.v.index()) {
    case 0: case 1: return true;
    case 5: return a.str() == b.str();
    case 6: {
      const List& x = a.list();
      const List& y = b.list();
      if (x.tuple != y.tuple || x.items.size() != y.items.size()) return false;
      for (size_t i = 0; i < x.items.size(); ++i) if (!equals(x.items[i], y.items[i])) return false;
      return true;
    }
    case 7: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, val] : x.entries) {
        const Value* other = y.find(k);
        if (!other || !equals(val, *other)) return false;
      }
      return true;
    }
    case 8: return &a.object() == &b.object();
    case 9: return &a.function() == &b.function();
    default: return false;
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    int c = cmp_numbers(a, b);
    return c == 2 ? 0 : c;  // NaN: every ordering test is false; callers treat 0 as "not less"
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.list().tuple == b.list().tuple) {
    const auto& x = a.list().items;
    const auto& y = b.list().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  fail("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

std::optional<std::string> hash_key(const Value& v) {
  switch (v.v.index()) {
    case 1: return std::string("n");
    case 2: return std::string(v.as_bool() ? "i:1" : "i:0");
    case 3: return "i:" + std::to_string(v.as_int());
    case 4: {
      double d = std::get<double>(v.v);
      if (std::floor(d) == d && std::fabs(d) < 9e18) return "i:" + std::to_string(static_cast<int64_t>(d));
      return "f:" + pystr::float_repr(d);
    }
    case 5: return "s:" + v.str();
    case 6: {
      if (!v.list().tuple) return std::nullopt;
      std::string k = "t:";
      for (const auto& item : v.list().items) {
        auto sub = hash_key(item);
        if (!sub) return std::nullopt;
        k += std::to_string(sub->size()) + ":" + *sub;
      }
      return k;
    }
    default: return std::nullopt;
  }
}

std::vector<Value> iterate(const Value& v) {
  switch (v.v.index()) {
    case 0: return {};
    case 5: {
      std::vector<Value> out;
      for (char32_t c : pystr::decode(v.str())) {
        std::string s;
        pystr::append_utf8(s, c);
        out.push_back(Value::string(std::move(s)));
      }
      return out;
    }
    case 6: return v.list().items;
    case 7: {
      std::vector<Value> out;
      out.reserve(v.dict().entries.size());
      for (const auto& e : v.dict().entries) out.push_back(e.first);
      return out;
    }
    default: fail("'" + type_name(v) + "' object is not iterable");
  }
}

int64_t py_len(const Value& v) {
  switch (v.v.index()) {
    case 0: return 0;
    case 5: return static_cast<int64_t>(pystr::length(v.str()));
    case 6: return static_cast<int64_t>(v.list().items.size());
    case 7: return static_cast<int64_t>(v.dict().entries.size());
    default: fail("object of type '" + type_name(v) + "' has no len()");
  }
}

namespace {

template <class Json>
Value from_json_impl(const Json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) fail("integer too large: " + std::to_string(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::number(j.template get<double>());
    case nlohmann::json::value_t::string: return Value::string(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_impl(e));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto d = std::make_shared<Dict>();
      for (auto it = j.begin(); it != j.end(); ++it) d->set(it.key(), from_json_impl(it.value()));
      return Value::dict(std::move(d));
    }
    default: fail("unsupported JSON value");
  }
}

std::string json_key(const Value& k) {
  if (k.is_string()) return k.str();
  if (k.is_bool()) return k.as_bool() ? "true" : "false";
  if (k.is_none()) return "null";
  if (k.is_int() || k.is_float()) return to_str(k);
  fail("keys must be str, int, float, bool or None, not " + type_name(k));
}

void dump(std::string& out, const Value& v, const JsonOptions& opt, int depth) {
  if (depth > 500) fail("tojson: value nested too deeply");
  auto newline = [&](int level) {
    out += '\n';
    for (int i = 0; i < level; ++i) out += *opt.indent;
  };
  switch (v.v.index()) {
    case 1: out += "null"; return;
    case 2: out += v.as_bool() ? "true" : "false"; return;
    case 3: out += std::to_string(v.as_int()); return;
    case 4: {
      double d = std::get<double>(v.v);
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d < 0 ? "-Infinity" : "Infinity";
      else out += pystr::float_repr(d);
      return;
    }
    case 5: pystr::json_quote(out, v.str(), opt.ensure_ascii); return;
    case 6: {
      const auto& items = v.list().items;
      if (items.empty()) { out += "[]"; return; }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.indent) newline(depth + 1);
        dump(out, items[i], opt, depth + 1);
      }
      if (opt.indent) newline(depth);
      out += ']';
      return;
    }
    case 7: {
      const auto& entries = v.dict().entries;
      if (entries.empty()) { out += "{}"; return; }
      std::vector<std::pair<std::string, const Value*>> items;
      for (const auto& [k, val] : entries) items.emplace_back(json_key(k), &val);
      if (opt.sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.indent) newline(depth + 1);
        pystr::json_quote(out, items[i].first, opt.ensure_ascii);
        out += opt.key_sep;
        dump(out, *items[i].second, opt, depth + 1);
      }
      if (opt.indent) newline(depth);
      out += '}';
      return;
    }
    default: fail("Object of type " + type_name(v) + " is not JSON serializable");
  }
}

}  // namespace

Value from_json(const nlohmann::ordered_json& j) { return from_json_impl(j); }
Value from_json(const nlohmann::json& j) { return from_json_impl(j); }

std::string to_json(const Value& v, const JsonOptions& opt) {
  std::string out;
  dump(out, v, opt, 0);
  return out;
}

}  // namespace minnow::chat
