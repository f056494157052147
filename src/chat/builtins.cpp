// Attribute and item access as Jinja's ImmutableSandboxedEnvironment resolves them (attribute
// first for `.`, item first for `[]`, mutating methods refused), the str/dict/list methods
// templates call, and the globals (range, dict, namespace, raise_exception, strftime_now).
#include <ctime>

#include "chat/eval.h"
#include "chat/pystr.h"

namespace minnow::chat {

namespace {

class NamespaceObject : public Object {
 public:
  Value get_attr(const std::string& name) const override {
    const Value* v = attrs_.find(name);
    return v ? *v : Value::undefined("'Namespace object' has no attribute '" + name + "'");
  }
  std::string to_str() const override {
    auto d = std::make_shared<Dict>(attrs_);
    return "<Namespace " + chat::to_str(Value::dict(d)) + ">";
  }
  bool is_namespace() const override { return true; }
  void set_attr(const std::string& name, Value v) override { attrs_.set(name, std::move(v)); }

 private:
  Dict attrs_;
};

Value make_fn(std::string name, std::function<Value(CallArgs&)> f) {
  auto fn = std::make_shared<Function>();
  fn->name = std::move(name);
  fn->call = std::move(f);
  return Value::function(std::move(fn));
}

Value unsafe_method(const Value& obj, const std::string& name) {
  std::string msg = "access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe";
  return make_fn(name, [msg](CallArgs&) -> Value { fail(msg); });
}

std::optional<std::string> opt_str(const CallArgs& a, size_t i, const char* name) {
  auto v = a.get(i, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) fail(std::string(name) + " must be str or None, not " + type_name(*v));
  return v->str();
}

int64_t opt_int(const CallArgs& a, size_t i, const char* name, int64_t dflt) {
  auto v = a.get(i, name);
  if (!v || v->is_none()) return dflt;
  return v->as_index();
}

std::string req_str(const CallArgs& a, size_t i, const char* name) {
  auto v = a.get(i, name);
  if (!v) fail(std::string("missing required argument '") + name + "'");
  if (!v->is_string()) fail(std::string("argument '") + name + "' must be str, not " + type_name(*v));
  return v->str();
}

Value str_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& p : parts) items.push_back(Value::string(std::move(p)));
  return Value::list(std::move(items));
}

bool affix_match(const std::string& s, const Value& arg, bool prefix) {
  auto one = [&](const Value& v) {
    if (!v.is_string()) fail("startswith/endswith arg must be str or a tuple of str, not " + type_name(v));
    const std::string& a = v.str();
    if (a.size() > s.size()) return false;
    return prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
  };
  if (arg.is_list() && arg.list().tuple) {
    for (const auto& v : arg.list().items) if (one(v)) return true;
    return false;
  }
  return one(arg);
}

// str.format: {} {0} {name} with !r/!s and a basic [[fill]align][width][.prec][type] spec.
std::string apply_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_str(v);
  size_t i = 0;
  std::string fill = " ";
  char align = '\0';
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^'; };
  if (spec.size() >= 2 && is_align(spec[1])) { fill = spec.substr(0, 1); align = spec[1]; i = 2; }
  else if (is_align(spec[0])) { align = spec[0]; i = 1; }
  int width = 0, prec = -1;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) width = std::min(width * 10 + (spec[i++] - '0'), 1000);
  if (i < spec.size() && spec[i] == '.') {
    prec = 0;
    ++i;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) prec = std::min(prec * 10 + (spec[i++] - '0'), 100);
  }
  char type = i < spec.size() ? spec[i] : '\0';
  std::string body;
  char buf[256];
  if (type == 'f' || type == 'e' || type == 'g' || type == '%') {
    double d = v.as_double() * (type == '%' ? 100.0 : 1.0);
    std::snprintf(buf, sizeof buf, (std::string("%.*") + (type == '%' ? 'f' : type)).c_str(), prec < 0 ? 6 : prec, d);
    body = buf;
    if (type == '%') body += '%';
  } else if (type == 'd') {
    body = std::to_string(v.as_index());
  } else {
    body = to_str(v);
    if (prec >= 0 && v.is_string()) {
      auto cps = pystr::decode(body);
      if (cps.size() > static_cast<size_t>(prec)) cps.resize(static_cast<size_t>(prec));
      body = pystr::encode(cps);
    }
  }
  if (!align) align = v.is_number() ? '>' : '<';
  auto len = static_cast<int>(pystr::length(body));
  if (width <= len) return body;
  int pad = width - len;
  int left = align == '>' ? pad : (align == '^' ? pad / 2 : 0);
  std::string out;
  for (int k = 0; k < left; ++k) out += fill;
  out += body;
  for (int k = 0; k < pad - left; ++k) out += fill;
  return out;
}

std::string str_format(const std::string& fmt, const CallArgs& a) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') { out += '}'; ++i; continue; }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') { out += c; continue; }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') { out += '{'; ++i; continue; }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec, conv;
    if (size_t colon = field.find(':'); colon != std::string::npos) { spec = field.substr(colon + 1); field.resize(colon); }
    if (size_t bang = field.find('!'); bang != std::string::npos) { conv = field.substr(bang + 1); field.resize(bang); }
    Value v;
    if (field.empty()) {
      if (auto_index >= a.args.size()) fail("Replacement index " + std::to_string(auto_index) + " out of range for positional args tuple");
      v = a.args[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
      size_t k = std::stoul(field);
      if (k >= a.args.size()) fail("Replacement index " + field + " out of range for positional args tuple");
      v = a.args[k];
    } else {
      bool found = false;
      for (const auto& [name, val] : a.kwargs) if (name == field) { v = val; found = true; }
      if (!found) fail("KeyError: '" + field + "'");
    }
    if (conv == "r") v = Value::string(repr(v));
    out += apply_spec(v, spec);
  }
  return out;
}

Value str_method(const Value& obj, const std::string& name) {
  const std::string s = obj.str();
  using F = std::function<Value(CallArgs&)>;
  F f;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool l = name != "rstrip", r = name != "lstrip";
    f = [s, l, r](CallArgs& a) { return Value::string(pystr::strip(s, opt_str(a, 0, "chars"), l, r)); };
  } else if (name == "split" || name == "rsplit") {
    bool rev = name == "rsplit";
    f = [s, rev](CallArgs& a) {
      auto sep = opt_str(a, 0, "sep");
      if (sep && sep->empty()) fail("empty separator");
      int64_t maxsplit = opt_int(a, 1, "maxsplit", -1);
      return str_list(rev ? pystr::rsplit(s, sep, maxsplit) : pystr::split(s, sep, maxsplit));
    };
  } else if (name == "splitlines") {
    f = [s](CallArgs&) { return str_list(pystr::splitlines(s)); };
  } else if (name == "startswith" || name == "endswith") {
    bool prefix = name == "startswith";
    f = [s, prefix](CallArgs& a) {
      auto arg = a.get(0, "prefix");
      if (!arg) fail("startswith/endswith takes at least 1 argument");
      return Value::boolean(affix_match(s, *arg, prefix));
    };
  } else if (name == "replace") {
    f = [s](CallArgs& a) {
      return Value::string(pystr::replace(s, req_str(a, 0, "old"), req_str(a, 1, "new"), opt_int(a, 2, "count", -1)));
    };
  } else if (name == "format") {
    f = [s](CallArgs& a) { return Value::string(str_format(s, a)); };
  } else if (name == "upper") {
    f = [s](CallArgs&) { return Value::string(pystr::upper(s)); };
  } else if (name == "lower") {
    f = [s](CallArgs&) { return Value::string(pystr::lower(s)); };
  } else if (name == "title") {
    f = [s](CallArgs&) { return Value::string(pystr::title_method(s)); };
  } else if (name == "capitalize") {
    f = [s](CallArgs&) { return Value::string(pystr::capitalize(s)); };
  } else if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    bool rev = name[0] == 'r', strict = name.find("index") != std::string::npos;
    f = [s, rev, strict](CallArgs& a) {
      int64_t r = pystr::find(s, req_str(a, 0, "sub"), rev);
      if (strict && r < 0) fail("substring not found");
      return Value::integer(r);
    };
  } else if (name == "count") {
    f = [s](CallArgs& a) { return Value::integer(pystr::count(s, req_str(a, 0, "sub"))); };
  } else if (name == "join") {
    f = [s](CallArgs& a) {
      auto seq = a.get(0, "iterable");
      if (!seq) fail("join() takes exactly one argument");
      std::string out;
      size_t i = 0;
      for (const auto& v : iterate(*seq)) {
        if (!v.is_string()) fail("sequence item " + std::to_string(i) + ": expected str instance, " + type_name(v) + " found");
        if (i++) out += s;
        out += v.str();
      }
      return Value::string(std::move(out));
    };
  } else if (name == "center" || name == "ljust" || name == "rjust") {
    char kind = name[0];
    f = [s, kind](CallArgs& a) {
      int64_t width = opt_int(a, 0, "width", 0);
      std::string fill = opt_str(a, 1, "fillchar").value_or(" ");
      if (kind == 'c') return Value::string(pystr::center(s, width, fill));
      auto len = static_cast<int64_t>(pystr::length(s));
      std::string pad;
      for (int64_t k = len; k < width; ++k) pad += fill;
      return Value::string(kind == 'l' ? s + pad : pad + s);
    };
  } else if (name == "removeprefix" || name == "removesuffix") {
    bool prefix = name == "removeprefix";
    f = [s, prefix](CallArgs& a) {
      std::string x = req_str(a, 0, "affix");
      if (affix_match(s, Value::string(x), prefix)) return Value::string(prefix ? s.substr(x.size()) : s.substr(0, s.size() - x.size()));
      return Value::string(s);
    };
  } else if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
             name == "isupper" || name == "islower") {
    f = [s, name](CallArgs&) {
      auto cps = pystr::decode(s);
      if (cps.empty()) return Value::boolean(false);
      bool cased = false;
      for (char32_t c : cps) {
        bool ok = true;
        if (name == "isdigit") ok = pystr::is_digit(c);
        else if (name == "isalpha") ok = pystr::is_alpha(c);
        else if (name == "isalnum") ok = pystr::is_alpha(c) || pystr::is_digit(c);
        else if (name == "isspace") ok = pystr::is_space(c);
        else if (name == "isupper") { ok = pystr::to_upper(c) == c; cased |= pystr::to_lower(c) != c; }
        else { ok = pystr::to_lower(c) == c; cased |= pystr::to_upper(c) != c; }
        if (!ok) return Value::boolean(false);
      }
      return Value::boolean(name == "isupper" || name == "islower" ? cased : true);
    };
  } else {
    return Value::undefined("'str object' has no attribute '" + name + "'");
  }
  return make_fn(name, std::move(f));
}

Value dict_method(const Value& obj, const std::string& name) {
  if (name == "items" || name == "keys" || name == "values") {
    char kind = name[0];
    return make_fn(name, [obj, kind](CallArgs&) {
      std::vector<Value> out;
      for (const auto& [k, v] : obj.dict().entries) {
        if (kind == 'i') out.push_back(Value::list({k, v}, true));
        else out.push_back(kind == 'k' ? k : v);
      }
      return Value::list(std::move(out));
    });
  }
  if (name == "get") {
    return make_fn(name, [obj](CallArgs& a) {
      auto key = a.get(0, "key");
      if (!key) fail("get expected at least 1 argument, got 0");
      const Value* v = obj.dict().find(*key);
      if (v) return *v;
      return a.get(1, "default").value_or(Value::none());
    });
  }
  if (name == "copy") {
    return make_fn(name, [obj](CallArgs&) { return Value::dict(std::make_shared<Dict>(obj.dict())); });
  }
  if (name == "pop" || name == "popitem" || name == "update" || name == "clear" || name == "setdefault") {
    return unsafe_method(obj, name);
  }
  return Value();  // not a method
}

Value list_method(const Value& obj, const std::string& name) {
  if (name == "index" || name == "count") {
    bool is_index = name == "index";
    return make_fn(name, [obj, is_index](CallArgs& a) {
      auto x = a.get(0, "value");
      if (!x) fail(std::string(is_index ? "index" : "count") + "() takes exactly one argument");
      int64_t n = 0, i = 0;
      for (const auto& v : obj.list().items) {
        if (equals(v, *x)) {
          if (is_index) return Value::integer(i);
          ++n;
        }
        ++i;
      }
      if (is_index) fail(repr(*x) + " is not in list");
      return Value::integer(n);
    });
  }
  if (name == "copy" && !obj.list().tuple) {
    return make_fn(name, [obj](CallArgs&) { return Value::list(obj.list().items); });
  }
  if (!obj.list().tuple && (name == "append" || name == "extend" || name == "insert" || name == "pop" ||
                            name == "remove" || name == "clear" || name == "sort" || name == "reverse")) {
    return unsafe_method(obj, name);
  }
  return Value::undefined("'" + type_name(obj) + " object' has no attribute '" + name + "'");
}

}  // namespace

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.v.index()) {
    case 5: return str_method(obj, name);
    case 6: return list_method(obj, name);
    case 7: {
      Value m = dict_method(obj, name);
      if (!m.is_undefined()) return m;
      const Value* v = obj.dict().find(name);
      return v ? *v : Value::undefined("'dict object' has no attribute '" + name + "'");
    }
    case 8: return obj.object().get_attr(name);
    default: return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + name + "'");
  }
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_dict()) {
    const Value* v = obj.dict().find(key);
    if (v) return *v;
  } else if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_index();
    if (obj.is_list()) {
      const auto& items = obj.list().items;
      auto n = static_cast<int64_t>(items.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return items[static_cast<size_t>(i)];
    } else {
      auto cps = pystr::decode(obj.str());
      auto n = static_cast<int64_t>(cps.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) {
        std::string s;
        pystr::append_utf8(s, cps[static_cast<size_t>(i)]);
        return Value::string(std::move(s));
      }
    }
    return Value::undefined("'" + object_type_repr(obj) + "' has no element " + to_str(key));
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined("'" + object_type_repr(obj) + "' has no element " + repr(key));
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (!obj.is_list() && !obj.is_string()) fail("'" + type_name(obj) + "' object is not subscriptable");
  auto as_opt = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) fail("slice indices must be integers or None");
    return v.as_index();
  };
  int64_t st = as_opt(step).value_or(1);
  if (st == 0) fail("slice step cannot be zero");
  std::vector<char32_t> cps;
  if (obj.is_string()) cps = pystr::decode(obj.str());
  const auto n = static_cast<int64_t>(obj.is_string() ? cps.size() : obj.list().items.size());
  auto adjust = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) { x += n; if (x < 0) x = st < 0 ? -1 : 0; }
    else if (x >= n) x = st < 0 ? n - 1 : n;
    return x;
  };
  int64_t b = adjust(as_opt(start), st < 0 ? n - 1 : 0);
  int64_t e = adjust(as_opt(stop), st < 0 ? -1 : n);
  std::vector<size_t> idx;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) idx.push_back(static_cast<size_t>(i));
  if (obj.is_string()) {
    std::string out;
    for (size_t i : idx) pystr::append_utf8(out, cps[i]);
    return Value::string(std::move(out));
  }
  std::vector<Value> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(obj.list().items[i]);
  return Value::list(std::move(out), obj.list().tuple);
}

void install_globals(Scope& root, Interp& in) {
  Interp* interp = &in;
  root.vars["range"] = make_fn("range", [interp](CallArgs& a) {
    if (a.args.empty() || a.args.size() > 3) fail("range expected 1 to 3 arguments");
    int64_t start = 0, stop, step = 1;
    if (a.args.size() == 1) stop = a.args[0].as_index();
    else { start = a.args[0].as_index(); stop = a.args[1].as_index(); }
    if (a.args.size() == 3) step = a.args[2].as_index();
    if (step == 0) fail("range() arg 3 must not be zero");
    double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
    if (count > 0) interp->spend_iterations(static_cast<int64_t>(count));
    std::vector<Value> out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value::integer(i));
    return Value::list(std::move(out));
  });
  auto build_dict = [](CallArgs& a, Dict& d) {
    if (!a.args.empty()) {
      const Value& src = a.args[0];
      if (src.is_dict()) d = src.dict();
      else for (const auto& pair : iterate(src)) {
        auto kv = iterate(pair);
        if (kv.size() != 2) fail("dictionary update sequence element has wrong length");
        d.set(kv[0], kv[1]);
      }
    }
    for (auto& [k, v] : a.kwargs) d.set(k, v);
  };
  root.vars["dict"] = make_fn("dict", [build_dict](CallArgs& a) {
    auto d = std::make_shared<Dict>();
    build_dict(a, *d);
    return Value::dict(std::move(d));
  });
  root.vars["namespace"] = make_fn("namespace", [build_dict](CallArgs& a) {
    Dict d;
    build_dict(a, d);
    auto ns = std::make_shared<NamespaceObject>();
    for (auto& [k, v] : d.entries) ns->set_attr(to_str(k), v);
    return Value::object(std::move(ns));
  });
  root.vars["raise_exception"] = make_fn("raise_exception", [](CallArgs& a) -> Value {
    throw RaisedError(a.args.empty() ? std::string() : to_str(a.args[0]));
  });
  root.vars["strftime_now"] = make_fn("strftime_now", [](CallArgs& a) {
    std::string fmt = req_str(a, 0, "format");
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[512];
    size_t n = fmt.size() < 200 ? std::strftime(buf, sizeof buf, fmt.c_str(), &tm) : 0;
    return Value::string(std::string(buf, n));
  });
}

}  // namespace minnow::chat
