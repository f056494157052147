// Python arithmetic, concatenation, repetition, `in` and printf-style `str % args`.
#include <cmath>
#include <cstdio>

#include "chat/eval.h"
#include "chat/pystr.h"

namespace minnow::chat {

namespace {

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

template <class Op>
Value checked(Op op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (op(a, b, &r)) fail("integer overflow");
  return Value::integer(r);
}
bool add_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool sub_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mul_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }

Value repeat(const Value& seq, int64_t n, const Interp& in) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.str();
    if (!s.empty()) in.check_size(s.size() * static_cast<size_t>(std::min<int64_t>(n, INT32_MAX)));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value::string(std::move(out));
  }
  const auto& items = seq.list().items;
  if (!items.empty() && static_cast<double>(items.size()) * static_cast<double>(n) > static_cast<double>(in.limits().max_iterations)) {
    fail("list repetition too large");
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.list().tuple);
}

double py_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((b < 0) != (m < 0))) m += b;
  return m;
}

double py_floordiv(double a, double b) {
  double m = std::fmod(a, b);
  double div = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) div -= 1.0;
  if (div == 0) return std::copysign(0.0, a / b);
  double f = std::floor(div);
  if (div - f > 0.5) f += 1.0;
  return f;
}

std::string format_one(char conv, const std::string& flags, int width, int prec, const Value& v) {
  std::string spec = "%" + flags;
  if (width >= 0) spec += std::to_string(width);
  if (prec >= 0) spec += "." + std::to_string(prec);
  char buf[512];
  switch (conv) {
    case 's': case 'r': {
      std::string s = conv == 's' ? to_str(v) : repr(v);
      if (prec >= 0) s = pystr::encode([&] { auto c = pystr::decode(s); c.resize(std::min(c.size(), static_cast<size_t>(prec))); return c; }());
      auto len = static_cast<int>(pystr::length(s));
      if (width > len) {
        std::string pad(static_cast<size_t>(width - len), ' ');
        s = flags.find('-') != std::string::npos ? s + pad : pad + s;
      }
      return s;
    }
    case 'd': case 'i': case 'x': case 'X': case 'o': {
      if (!v.is_number()) fail("%" + std::string(1, conv) + " format: a real number is required, not " + type_name(v));
      long long n = v.is_float() ? static_cast<long long>(std::trunc(v.as_double())) : v.as_index();
      spec += std::string("ll") + (conv == 'i' ? 'd' : conv);
      std::snprintf(buf, sizeof buf, spec.c_str(), n);
      return buf;
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      if (!v.is_number()) fail("must be real number, not " + type_name(v));
      spec += conv;
      std::snprintf(buf, sizeof buf, spec.c_str(), v.as_double());
      return buf;
    }
    case 'c': {
      if (v.is_string()) return v.str();
      std::string s;
      pystr::append_utf8(s, static_cast<char32_t>(v.as_index()));
      return s;
    }
    default: fail(std::string("unsupported format character '") + conv + "'");
  }
}

}  // namespace

Value percent_format(const std::string& fmt, const Value& arg) {
  std::vector<Value> args;
  if (arg.is_list() && arg.list().tuple) args = arg.list().items;
  else args.push_back(arg);
  const bool mapping = arg.is_dict();
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') { out += fmt[i]; continue; }
    if (++i >= fmt.size()) fail("incomplete format");
    if (fmt[i] == '%') { out += '%'; continue; }
    const Value* src = nullptr;
    Value named;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !mapping) fail("format requires a mapping");
      const Value* found = arg.dict().find(fmt.substr(i + 1, close - i - 1));
      if (!found) fail("KeyError: " + fmt.substr(i + 1, close - i - 1));
      named = *found;
      src = &named;
      i = close + 1;
    }
    std::string flags;
    while (i < fmt.size() && std::string("-+ 0#").find(fmt[i]) != std::string::npos) flags += fmt[i++];
    int width = -1, prec = -1;
    while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) width = std::max(width, 0) * 10 + (fmt[i++] - '0');
    if (i < fmt.size() && fmt[i] == '.') {
      prec = 0;
      ++i;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) prec = prec * 10 + (fmt[i++] - '0');
    }
    if (i >= fmt.size()) fail("incomplete format");
    if (width > 400 || prec > 400) fail("format width too large");
    if (!src) {
      if (next >= args.size()) fail("not enough arguments for format string");
      src = &args[next++];
    }
    out += format_one(fmt[i], flags, width, prec, *src);
  }
  if (!mapping && next < args.size()) fail("not all arguments converted during string formatting");
  return Value::string(std::move(out));
}

Value negate(const Value& v) {
  if (v.is_undefined()) fail_undefined(v);
  if (v.is_float()) return Value::number(-v.as_double());
  if (v.is_int() || v.is_bool()) {
    int64_t i = v.as_index();
    if (i == INT64_MIN) fail("integer overflow");
    return Value::integer(-i);
  }
  fail("bad operand type for unary -: '" + type_name(v) + "'");
}

Value binary_op(const std::string& op, const Value& a, const Value& b, const Interp& in) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  const bool nums = a.is_number() && b.is_number();
  const bool ints = nums && !a.is_float() && !b.is_float();
  switch (op[0]) {
    case '+':
      if (ints) return checked(add_ovf, a.as_index(), b.as_index());
      if (nums) return Value::number(a.as_double() + b.as_double());
      if (a.is_string() && b.is_string()) {
        in.check_size(a.str().size() + b.str().size());
        return Value::string(a.str() + b.str());
      }
      if (a.is_list() && b.is_list() && a.list().tuple == b.list().tuple) {
        std::vector<Value> items = a.list().items;
        items.insert(items.end(), b.list().items.begin(), b.list().items.end());
        return Value::list(std::move(items), a.list().tuple);
      }
      if (a.is_string() || a.is_list()) {
        fail("can only concatenate " + type_name(a) + " (not \"" + type_name(b) + "\") to " + type_name(a));
      }
      unsupported(op, a, b);
    case '-':
      if (ints) return checked(sub_ovf, a.as_index(), b.as_index());
      if (nums) return Value::number(a.as_double() - b.as_double());
      unsupported(op, a, b);
    case '*':
      if (op == "**") {
        if (ints && b.as_index() >= 0) {
          int64_t base = a.as_index(), e = b.as_index(), acc = 1;
          while (e > 0) {
            if (e & 1) { if (__builtin_mul_overflow(acc, base, &acc)) fail("integer overflow"); }
            e >>= 1;
            if (e > 0 && __builtin_mul_overflow(base, base, &base)) fail("integer overflow");
          }
          return Value::integer(acc);
        }
        if (nums) {
          if (a.as_double() == 0 && b.as_double() < 0) fail("0.0 cannot be raised to a negative power");
          return Value::number(std::pow(a.as_double(), b.as_double()));
        }
        unsupported(op, a, b);
      }
      if (ints) return checked(mul_ovf, a.as_index(), b.as_index());
      if (nums) return Value::number(a.as_double() * b.as_double());
      if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(a, b.as_index(), in);
      if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(b, a.as_index(), in);
      fail("can't multiply sequence by non-int of type '" + type_name(a.is_string() || a.is_list() ? b : a) + "'");
    case '/':
      if (op == "//") {
        if (!nums) unsupported(op, a, b);
        if (b.as_double() == 0) fail("integer division or modulo by zero");
        if (ints) {
          int64_t x = a.as_index(), y = b.as_index();
          if (x == INT64_MIN && y == -1) fail("integer overflow");
          int64_t q = x / y;
          if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
          return Value::integer(q);
        }
        return Value::number(py_floordiv(a.as_double(), b.as_double()));
      }
      if (!nums) unsupported(op, a, b);
      if (b.as_double() == 0) fail("division by zero");
      return Value::number(a.as_double() / b.as_double());
    case '%':
      if (a.is_string()) return percent_format(a.str(), b);
      if (!nums) unsupported(op, a, b);
      if (b.as_double() == 0) fail("integer division or modulo by zero");
      if (ints) {
        int64_t x = a.as_index(), y = b.as_index();
        if (y == -1) return Value::integer(0);
        int64_t m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value::integer(m);
      }
      return Value::number(py_fmod(a.as_double(), b.as_double()));
    default: break;
  }
  fail("unknown operator '" + op + "'");
}

bool contains(const Value& container, const Value& item) {
  switch (container.v.index()) {
    case 0: return false;
    case 5:
      if (!item.is_string()) fail("'in <string>' requires string as left operand, not " + type_name(item));
      return container.str().find(item.str()) != std::string::npos;
    case 6:
      for (const auto& x : container.list().items) if (equals(x, item)) return true;
      return false;
    case 7:
      if (!hash_key(item)) fail("unhashable type: '" + type_name(item) + "'");
      return container.dict().find(item) != nullptr;
    default: fail("argument of type '" + type_name(container) + "' is not iterable");
  }
}

}  // namespace minnow::chat
