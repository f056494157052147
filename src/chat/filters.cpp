// Jinja2's built-in filters and tests (plus Hugging Face's tojson), with Python semantics.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "chat/eval.h"
#include "chat/pystr.h"

namespace minnow::chat {

namespace {

using FilterFn = Value (*)(Interp&, const Value&, CallArgs&);
using TestFn = bool (*)(Interp&, const Value&, CallArgs&);

Value arg_or(const CallArgs& a, size_t i, const char* name, Value dflt) {
  auto v = a.get(i, name);
  return v ? *v : std::move(dflt);
}

std::string soft_str(const Value& v) { return to_str(v); }

// Jinja's make_attrgetter: "a.b.0" walks items/attributes; integer parts index.
Value get_path(const Value& item, const std::string& path) {
  Value cur = item;
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (cur.is_undefined()) fail_undefined(cur);
    cur = numeric ? get_item(cur, Value::integer(std::stoll(part))) : get_item(cur, Value::string(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value lower_if(const Value& v, bool case_sensitive) {
  return (!case_sensitive && v.is_string()) ? Value::string(pystr::lower(v.str())) : v;
}

std::vector<Value> as_items(const Value& v) { return iterate(v); }

Value sorted_by(std::vector<Value> items, bool reverse, bool case_sensitive, const Value& attribute) {
  std::vector<std::pair<Value, Value>> keyed;
  keyed.reserve(items.size());
  for (auto& it : items) {
    Value key = attribute.is_none() || attribute.is_undefined() ? it : get_path(it, to_str(attribute));
    keyed.emplace_back(lower_if(key, case_sensitive), std::move(it));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  std::vector<Value> out;
  out.reserve(keyed.size());
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

Value f_tojson(Interp&, const Value& v, CallArgs& a) {
  // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  JsonOptions opt;
  opt.ensure_ascii = truthy(arg_or(a, 0, "ensure_ascii", Value::boolean(false)));
  Value indent = arg_or(a, 1, "indent", Value::none());
  if (indent.is_string()) opt.indent = indent.str();
  else if (!indent.is_none()) opt.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(indent.as_index(), 0, 64)), ' ');
  if (opt.indent) opt.item_sep = ",";
  Value seps = arg_or(a, 2, "separators", Value::none());
  if (!seps.is_none()) {
    auto parts = iterate(seps);
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) fail("tojson: separators must be a pair of strings");
    opt.item_sep = parts[0].str();
    opt.key_sep = parts[1].str();
  }
  opt.sort_keys = truthy(arg_or(a, 3, "sort_keys", Value::boolean(false)));
  return Value::string(to_json(v, opt));
}

Value f_length(Interp&, const Value& v, CallArgs&) { return Value::integer(py_len(v)); }
Value f_string(Interp&, const Value& v, CallArgs&) { return Value::string(soft_str(v)); }
Value f_safe(Interp&, const Value& v, CallArgs&) { return v.is_string() ? v : Value::string(soft_str(v)); }
Value f_lower(Interp&, const Value& v, CallArgs&) { return Value::string(pystr::lower(soft_str(v))); }
Value f_upper(Interp&, const Value& v, CallArgs&) { return Value::string(pystr::upper(soft_str(v))); }
Value f_capitalize(Interp&, const Value& v, CallArgs&) { return Value::string(pystr::capitalize(soft_str(v))); }
Value f_title(Interp&, const Value& v, CallArgs&) { return Value::string(pystr::title_filter(soft_str(v))); }

Value f_trim(Interp&, const Value& v, CallArgs& a) {
  Value chars = arg_or(a, 0, "chars", Value::none());
  std::optional<std::string> cs;
  if (!chars.is_none()) cs = to_str(chars);
  return Value::string(pystr::strip(soft_str(v), cs, true, true));
}

Value f_replace(Interp& in, const Value& v, CallArgs& a) {
  Value count = arg_or(a, 2, "count", Value::none());
  std::string r = pystr::replace(soft_str(v), soft_str(arg_or(a, 0, "old", Value::string(""))),
                                 soft_str(arg_or(a, 1, "new", Value::string(""))), count.is_none() ? -1 : count.as_index());
  in.check_size(r.size());
  return Value::string(std::move(r));
}

Value f_join(Interp& in, const Value& v, CallArgs& a) {
  std::string sep = soft_str(arg_or(a, 0, "d", Value::string("")));
  Value attribute = arg_or(a, 1, "attribute", Value::none());
  std::string out;
  bool first = true;
  for (const auto& item : as_items(v)) {
    if (!first) out += sep;
    first = false;
    out += soft_str(attribute.is_none() ? item : get_path(item, to_str(attribute)));
    in.check_size(out.size());
  }
  return Value::string(std::move(out));
}

Value f_first(Interp&, const Value& v, CallArgs&) {
  auto items = as_items(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_last(Interp&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::undefined("No last item, sequence was empty.");
  auto items = as_items(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_default(Interp&, const Value& v, CallArgs& a) {
  bool boolean = truthy(arg_or(a, 1, "boolean", Value::boolean(false)));
  if (v.is_undefined() || (boolean && !truthy(v))) return arg_or(a, 0, "default_value", Value::string(""));
  return v;
}

Value f_items(Interp&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict().entries) out.push_back(Value::list({k, val}, true));
  return Value::list(std::move(out));
}

Value f_list(Interp&, const Value& v, CallArgs&) { return Value::list(as_items(v)); }

Value f_reverse(Interp&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    auto cps = pystr::decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value::string(pystr::encode(cps));
  }
  auto items = as_items(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_sort(Interp&, const Value& v, CallArgs& a) {
  return sorted_by(as_items(v), truthy(arg_or(a, 0, "reverse", Value::boolean(false))),
                   truthy(arg_or(a, 1, "case_sensitive", Value::boolean(false))), arg_or(a, 2, "attribute", Value::none()));
}

Value f_dictsort(Interp&, const Value& v, CallArgs& a) {
  if (!v.is_dict()) fail("dictsort requires a mapping");
  bool cs = truthy(arg_or(a, 0, "case_sensitive", Value::boolean(false)));
  std::string by = soft_str(arg_or(a, 1, "by", Value::string("key")));
  bool reverse = truthy(arg_or(a, 2, "reverse", Value::boolean(false)));
  if (by != "key" && by != "value") fail("You can only sort by either 'key' or 'value'");
  std::vector<Value> pairs;
  for (const auto& [k, val] : v.dict().entries) pairs.push_back(Value::list({k, val}, true));
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& x, const Value& y) {
    size_t i = by == "key" ? 0 : 1;
    int c = compare(lower_if(x.list().items[i], cs), lower_if(y.list().items[i], cs));
    return reverse ? c > 0 : c < 0;
  });
  return Value::list(std::move(pairs));
}

Value f_unique(Interp&, const Value& v, CallArgs& a) {
  bool cs = truthy(arg_or(a, 0, "case_sensitive", Value::boolean(false)));
  Value attribute = arg_or(a, 1, "attribute", Value::none());
  std::vector<Value> out, seen;
  for (const auto& item : as_items(v)) {
    Value key = lower_if(attribute.is_none() ? item : get_path(item, to_str(attribute)), cs);
    bool dup = false;
    for (const auto& s : seen) if (equals(s, key)) { dup = true; break; }
    if (dup) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value min_max(const Value& v, CallArgs& a, bool want_max) {
  bool cs = truthy(arg_or(a, 0, "case_sensitive", Value::boolean(false)));
  Value attribute = arg_or(a, 1, "attribute", Value::none());
  auto items = as_items(v);
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  const Value* best = &items[0];
  Value best_key = lower_if(attribute.is_none() ? items[0] : get_path(items[0], to_str(attribute)), cs);
  for (size_t i = 1; i < items.size(); ++i) {
    Value key = lower_if(attribute.is_none() ? items[i] : get_path(items[i], to_str(attribute)), cs);
    int c = compare(key, best_key);
    if (want_max ? c > 0 : c < 0) { best = &items[i]; best_key = key; }
  }
  return *best;
}
Value f_min(Interp&, const Value& v, CallArgs& a) { return min_max(v, a, false); }
Value f_max(Interp&, const Value& v, CallArgs& a) { return min_max(v, a, true); }

Value f_sum(Interp& in, const Value& v, CallArgs& a) {
  Value attribute = arg_or(a, 0, "attribute", Value::none());
  Value total = arg_or(a, 1, "start", Value::integer(0));
  for (const auto& item : as_items(v)) {
    total = binary_op("+", total, attribute.is_none() ? item : get_path(item, to_str(attribute)), in);
  }
  return total;
}

Value f_abs(Interp&, const Value& v, CallArgs&) {
  if (v.is_float()) return Value::number(std::fabs(v.as_double()));
  if (v.is_int() || v.is_bool()) {
    int64_t i = v.as_index();
    if (i == INT64_MIN) fail("integer overflow");
    return Value::integer(i < 0 ? -i : i);
  }
  fail("bad operand type for abs(): '" + type_name(v) + "'");
}

Value f_round(Interp&, const Value& v, CallArgs& a) {
  int64_t prec = arg_or(a, 0, "precision", Value::integer(0)).as_index();
  std::string method = soft_str(arg_or(a, 1, "method", Value::string("common")));
  if (method != "common" && method != "ceil" && method != "floor") fail("method must be 'common', 'ceil' or 'floor'");
  if (!v.is_number()) fail("type " + type_name(v) + " doesn't define __round__ method");
  if (method == "common" && !v.is_float()) return Value::integer(v.as_index());
  double d = v.as_double();
  double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(prec, -300, 300)));
  if (method == "ceil") return Value::number(std::ceil(d * scale) / scale);
  if (method == "floor") return Value::number(std::floor(d * scale) / scale);
  if (prec == 0) return Value::number(std::nearbyint(d));
  // Python rounds the exact binary value half-to-even; printf does the same.
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::clamp<int64_t>(prec, 0, 300)), d);
  return Value::number(prec > 0 ? std::strtod(buf, nullptr) : std::nearbyint(d * scale) / scale);
}

Value f_int(Interp&, const Value& v, CallArgs& a) {
  Value dflt = arg_or(a, 0, "default", Value::integer(0));
  int base = static_cast<int>(arg_or(a, 1, "base", Value::integer(10)).as_index());
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_index());
  if (v.is_float()) {
    double d = v.as_double();
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return dflt;
    return Value::integer(static_cast<int64_t>(std::trunc(d)));
  }
  if (v.is_string()) {
    std::string s = pystr::strip(v.str(), std::nullopt, true, true);
    std::string digits;
    for (char c : s) if (c != '_') digits += c;
    if (!digits.empty()) {
      char* end = nullptr;
      errno = 0;
      long long r = std::strtoll(digits.c_str(), &end, base);
      if (end && *end == '\0' && errno == 0) return Value::integer(r);
      double d = std::strtod(digits.c_str(), &end);
      if (end && *end == '\0' && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value::integer(static_cast<int64_t>(std::trunc(d)));
    }
  }
  return dflt;
}

Value f_float(Interp&, const Value& v, CallArgs& a) {
  Value dflt = arg_or(a, 0, "default", Value::number(0.0));
  if (v.is_number()) return Value::number(v.as_double());
  if (v.is_string()) {
    std::string s = pystr::strip(v.str(), std::nullopt, true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return Value::number(d);
  }
  return dflt;
}

Value f_indent(Interp&, const Value& v, CallArgs& a) {
  Value width = arg_or(a, 0, "width", Value::integer(4));
  bool first = truthy(arg_or(a, 1, "first", Value::boolean(false)));
  bool blank = truthy(arg_or(a, 2, "blank", Value::boolean(false)));
  std::string ind = width.is_string() ? width.str() : std::string(static_cast<size_t>(std::clamp<int64_t>(width.as_index(), 0, 1000)), ' ');
  std::string s = soft_str(v) + "\n";
  auto lines = pystr::splitlines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) { if (i) rv += "\n" + ind; rv += lines[i]; }
  } else if (!lines.empty()) {
    rv = lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? lines[i] : ind + lines[i]);
  }
  if (first) rv = ind + rv;
  return Value::string(std::move(rv));
}

Value f_center(Interp&, const Value& v, CallArgs& a) {
  int64_t width = std::min<int64_t>(arg_or(a, 0, "width", Value::integer(80)).as_index(), 1 << 20);
  return Value::string(pystr::center(soft_str(v), width, " "));
}

Value f_wordcount(Interp&, const Value& v, CallArgs&) {
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : pystr::decode(soft_str(v))) {
    bool w = pystr::is_alpha(c) || pystr::is_digit(c) || c == '_';
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_escape(Interp&, const Value& v, CallArgs&) {
  std::string out;
  for (char c : soft_str(v)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::string(std::move(out));
}

Value f_striptags(Interp&, const Value& v, CallArgs&) {
  std::string s = soft_str(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "<!--") == 0) {
      size_t e = s.find("-->", i + 4);
      if (e == std::string::npos) { out += s.substr(i); break; }
      i = e + 2;
    } else if (s[i] == '<') {
      size_t e = s.find('>', i + 1);
      if (e == std::string::npos) { out += s.substr(i); break; }
      i = e;
    } else {
      out += s[i];
    }
  }
  std::string joined;
  for (const auto& w : pystr::split(out, std::nullopt, -1)) joined += (joined.empty() ? "" : " ") + w;
  return Value::string(joined);
}

Value f_batch(Interp&, const Value& v, CallArgs& a) {
  int64_t n = arg_or(a, 0, "linecount", Value::integer(1)).as_index();
  if (n <= 0) fail("batch size must be positive");
  auto fill = a.get(1, "fill_with");
  std::vector<Value> out, cur;
  for (auto& item : as_items(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == n) { out.push_back(Value::list(std::move(cur))); cur.clear(); }
  }
  if (!cur.empty()) {
    if (fill && !fill->is_none()) while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*fill);
    out.push_back(Value::list(std::move(cur)));
  }
  return Value::list(std::move(out));
}

Value f_truncate(Interp&, const Value& v, CallArgs& a) {
  int64_t length = arg_or(a, 0, "length", Value::integer(255)).as_index();
  bool killwords = truthy(arg_or(a, 1, "killwords", Value::boolean(false)));
  std::string end = soft_str(arg_or(a, 2, "end", Value::string("...")));
  Value lw = arg_or(a, 3, "leeway", Value::none());
  int64_t leeway = lw.is_none() ? 5 : lw.as_index();
  auto cps = pystr::decode(soft_str(v));
  auto n = static_cast<int64_t>(cps.size());
  if (n <= length + leeway) return Value::string(pystr::encode(cps));
  int64_t keep = std::clamp<int64_t>(length - static_cast<int64_t>(pystr::length(end)), 0, n);
  std::string head = pystr::encode(std::vector<char32_t>(cps.begin(), cps.begin() + keep));
  if (killwords) return Value::string(head + end);
  size_t sp = head.rfind(' ');
  return Value::string((sp == std::string::npos ? head : head.substr(0, sp)) + end);
}

Value f_format(Interp&, const Value& v, CallArgs& a) {
  if (!a.kwargs.empty()) {
    auto d = std::make_shared<Dict>();
    for (auto& [k, val] : a.kwargs) d->set(k, val);
    return percent_format(soft_str(v), Value::dict(d));
  }
  return percent_format(soft_str(v), Value::list(a.args, true));
}

Value f_attr(Interp&, const Value& v, CallArgs& a) {
  if (v.is_undefined()) fail_undefined(v);
  return get_attr(v, soft_str(arg_or(a, 0, "name", Value::string(""))));
}

Value f_groupby(Interp& in, const Value& v, CallArgs& a) {
  std::string attribute = soft_str(arg_or(a, 0, "attribute", Value::none()));
  auto dflt = a.get(1, "default");
  bool cs = truthy(arg_or(a, 2, "case_sensitive", Value::boolean(false)));
  auto key_of = [&](const Value& item) {
    Value k = get_path(item, attribute);
    if (k.is_undefined() && dflt) k = *dflt;
    return lower_if(k, cs);
  };
  CallArgs sa;
  sa.kwargs.emplace_back("attribute", Value::string(attribute));
  sa.kwargs.emplace_back("case_sensitive", Value::boolean(cs));
  auto sorted = f_sort(in, v, sa).list().items;
  std::vector<Value> groups;
  for (const auto& item : sorted) {
    Value k = key_of(item);
    if (!groups.empty() && equals(groups.back().list().items[0], k)) {
      groups.back().list().items[1].list().items.push_back(item);
    } else {
      groups.push_back(Value::list({k, Value::list({item})}, true));
    }
  }
  return Value::list(std::move(groups));
}

// select/reject/selectattr/rejectattr/map share argument handling.
bool run_test(Interp& in, const Value& item, const CallArgs& a, size_t name_at) {
  if (a.args.size() <= name_at) return truthy(item);
  CallArgs ta;
  ta.args.assign(a.args.begin() + static_cast<ptrdiff_t>(name_at) + 1, a.args.end());
  ta.kwargs = a.kwargs;
  return apply_test(in, to_str(a.args[name_at]), item, ta);
}

Value select_impl(Interp& in, const Value& v, CallArgs& a, bool by_attr, bool keep) {
  std::vector<Value> out;
  std::string attribute;
  if (by_attr) {
    if (a.args.empty()) fail("selectattr/rejectattr need an attribute name");
    attribute = to_str(a.args[0]);
  }
  for (const auto& item : as_items(v)) {
    Value subject = by_attr ? get_path(item, attribute) : item;
    if (run_test(in, subject, a, by_attr ? 1 : 0) == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}
Value f_select(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, true); }
Value f_reject(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, false, false); }
Value f_selectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, true); }
Value f_rejectattr(Interp& in, const Value& v, CallArgs& a) { return select_impl(in, v, a, true, false); }

Value f_map(Interp& in, const Value& v, CallArgs& a) {
  std::vector<Value> out;
  auto attribute = a.get(99, "attribute");
  if (attribute) {
    auto dflt = a.get(99, "default");
    for (const auto& item : as_items(v)) {
      Value r = get_path(item, to_str(*attribute));
      out.push_back(r.is_undefined() && dflt ? *dflt : r);
    }
    return Value::list(std::move(out));
  }
  if (a.args.empty()) fail("map requires a filter name or attribute=");
  std::string filter = to_str(a.args[0]);
  CallArgs fa;
  fa.args.assign(a.args.begin() + 1, a.args.end());
  fa.kwargs = a.kwargs;
  for (const auto& item : as_items(v)) {
    CallArgs copy = fa;
    out.push_back(apply_filter(in, filter, item, copy));
  }
  return Value::list(std::move(out));
}

const std::unordered_map<std::string, FilterFn>& filters() {
  static const std::unordered_map<std::string, FilterFn> table = {
      {"tojson", f_tojson}, {"length", f_length}, {"count", f_length}, {"string", f_string},
      {"safe", f_safe}, {"lower", f_lower}, {"upper", f_upper}, {"capitalize", f_capitalize},
      {"title", f_title}, {"trim", f_trim}, {"replace", f_replace}, {"join", f_join},
      {"first", f_first}, {"last", f_last}, {"default", f_default}, {"d", f_default},
      {"items", f_items}, {"list", f_list}, {"reverse", f_reverse}, {"sort", f_sort},
      {"dictsort", f_dictsort}, {"unique", f_unique}, {"min", f_min}, {"max", f_max},
      {"sum", f_sum}, {"abs", f_abs}, {"round", f_round}, {"int", f_int}, {"float", f_float},
      {"indent", f_indent}, {"center", f_center}, {"wordcount", f_wordcount},
      {"escape", f_escape}, {"e", f_escape}, {"forceescape", f_escape}, {"striptags", f_striptags},
      {"batch", f_batch}, {"truncate", f_truncate}, {"format", f_format}, {"attr", f_attr},
      {"groupby", f_groupby}, {"select", f_select}, {"reject", f_reject},
      {"selectattr", f_selectattr}, {"rejectattr", f_rejectattr}, {"map", f_map},
  };
  return table;
}

// ---- tests ----

bool t_defined(Interp&, const Value& v, CallArgs&) { return !v.is_undefined(); }
bool t_undefined(Interp&, const Value& v, CallArgs&) { return v.is_undefined(); }
bool t_none(Interp&, const Value& v, CallArgs&) { return v.is_none(); }
bool t_boolean(Interp&, const Value& v, CallArgs&) { return v.is_bool(); }
bool t_true(Interp&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }
bool t_false(Interp&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }
bool t_integer(Interp&, const Value& v, CallArgs&) { return v.is_int(); }
bool t_float(Interp&, const Value& v, CallArgs&) { return v.is_float(); }
bool t_number(Interp&, const Value& v, CallArgs&) { return v.is_number(); }
bool t_string(Interp&, const Value& v, CallArgs&) { return v.is_string(); }
bool t_mapping(Interp&, const Value& v, CallArgs&) { return v.is_dict(); }
bool t_iterable(Interp&, const Value& v, CallArgs&) { return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict(); }
bool t_callable(Interp&, const Value& v, CallArgs&) { return v.is_function(); }
bool t_escaped(Interp&, const Value&, CallArgs&) { return false; }

Value test_arg(const CallArgs& a) {
  auto v = a.get(0, "other");
  if (!v) fail("test requires an argument");
  return *v;
}
bool t_eq(Interp&, const Value& v, CallArgs& a) { return equals(v, test_arg(a)); }
bool t_ne(Interp&, const Value& v, CallArgs& a) { return !equals(v, test_arg(a)); }
bool t_lt(Interp&, const Value& v, CallArgs& a) { return compare(v, test_arg(a)) < 0; }
bool t_le(Interp&, const Value& v, CallArgs& a) { return compare(v, test_arg(a)) <= 0; }
bool t_gt(Interp&, const Value& v, CallArgs& a) { return compare(v, test_arg(a)) > 0; }
bool t_ge(Interp&, const Value& v, CallArgs& a) { return compare(v, test_arg(a)) >= 0; }
bool t_in(Interp&, const Value& v, CallArgs& a) { return contains(test_arg(a), v); }
bool t_sameas(Interp&, const Value& v, CallArgs& a) {
  Value o = test_arg(a);
  if (v.v.index() != o.v.index()) return false;
  if (v.is_none() || v.is_undefined()) return true;
  if (v.is_bool()) return v.as_bool() == o.as_bool();
  if (v.is_int()) return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;  // CPython small ints
  return equals(v, o) && !v.is_float() && (v.is_string() ? &v.str() == &o.str() : true);
}
bool t_odd(Interp&, const Value& v, CallArgs&) { return (v.as_index() % 2) != 0; }
bool t_even(Interp&, const Value& v, CallArgs&) { return (v.as_index() % 2) == 0; }
bool t_divisibleby(Interp&, const Value& v, CallArgs& a) {
  int64_t d = test_arg(a).as_index();
  if (d == 0) fail("integer division or modulo by zero");
  return v.as_index() % d == 0;
}
bool t_lower(Interp&, const Value& v, CallArgs&) {
  std::string s = to_str(v);
  return pystr::lower(s) == s && pystr::upper(s) != s;
}
bool t_upper(Interp&, const Value& v, CallArgs&) {
  std::string s = to_str(v);
  return pystr::upper(s) == s && pystr::lower(s) != s;
}
bool t_filter(Interp&, const Value& v, CallArgs&) { return v.is_string() && has_filter(v.str()); }
bool t_test(Interp&, const Value& v, CallArgs&) { return v.is_string() && has_test(v.str()); }

bool t_sequence(Interp&, const Value& v, CallArgs&) { return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict(); }

const std::unordered_map<std::string, TestFn>& tests() {
  static const std::unordered_map<std::string, TestFn> table = {
      {"defined", t_defined}, {"undefined", t_undefined}, {"none", t_none}, {"boolean", t_boolean},
      {"true", t_true}, {"false", t_false}, {"integer", t_integer}, {"float", t_float},
      {"number", t_number}, {"string", t_string}, {"mapping", t_mapping}, {"iterable", t_iterable},
      {"sequence", t_sequence}, {"callable", t_callable}, {"escaped", t_escaped},
      {"eq", t_eq}, {"equalto", t_eq}, {"==", t_eq}, {"ne", t_ne}, {"!=", t_ne},
      {"lt", t_lt}, {"lessthan", t_lt}, {"<", t_lt}, {"le", t_le}, {"<=", t_le},
      {"gt", t_gt}, {"greaterthan", t_gt}, {">", t_gt}, {"ge", t_ge}, {">=", t_ge},
      {"in", t_in}, {"sameas", t_sameas}, {"odd", t_odd}, {"even", t_even},
      {"divisibleby", t_divisibleby}, {"lower", t_lower}, {"upper", t_upper},
      {"filter", t_filter}, {"test", t_test},
  };
  return table;
}

}  // namespace

bool has_filter(const std::string& name) { return filters().count(name) != 0; }
bool has_test(const std::string& name) { return tests().count(name) != 0; }

Value apply_filter(Interp& in, const std::string& name, const Value& subject, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) fail("no filter named '" + name + "'");
  return it->second(in, subject, args);
}

bool apply_test(Interp& in, const std::string& name, const Value& subject, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) fail("no test named '" + name + "'");
  return it->second(in, subject, args);
}

}  // namespace minnow::chat
