#include "chat/lexer.h"

#include <cstring>

#include "chat/pystr.h"
#include "chat/template.h"

namespace minnow::chat {

std::string normalize_newlines(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool ended_with_break = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t skip = 0;  // extra bytes of a multi-byte line break
    bool brk = false;
    if (c == '\n' || c == '\v' || c == '\f' || c == 0x1C || c == 0x1D || c == 0x1E) {
      brk = true;
    } else if (c == '\r') {
      brk = true;
      if (i + 1 < s.size() && s[i + 1] == '\n') skip = 1;
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
      brk = true;  // U+0085
      skip = 1;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      brk = true;  // U+2028, U+2029
      skip = 2;
    }
    if (brk) {
      out += '\n';
      i += skip;
    } else {
      out += static_cast<char>(c);
    }
    ended_with_break = brk;
  }
  if (ended_with_break) out.pop_back();
  return out;
}

namespace {

class Lexer {
 public:
  explicit Lexer(const std::string& src) : s_(src) {}

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < s_.size()) {
      size_t t = find_tag(pos);
      if (t == std::string::npos) {
        emit_text(s_.substr(pos), pos);
        break;
      }
      const char kind = s_[t + 1];
      const char mod = t + 2 < s_.size() ? s_[t + 2] : '\0';
      std::string text = s_.substr(pos, t - pos);
      bool raw = kind == '%' && is_raw_begin(t);
      apply_left_strip(text, mod, kind != '{', line_starting);
      emit_text(std::move(text), pos);
      if (kind == '#') {
        pos = lex_comment(t);
      } else if (raw) {
        pos = lex_raw(t);
      } else {
        pos = lex_tag(t, kind == '{');
      }
      line_starting = pos > 0 && s_[pos - 1] == '\n';
    }
    Token eof;
    eof.type = Tok::Eof;
    set_pos(eof, s_.size());
    out_.push_back(std::move(eof));
    return std::move(out_);
  }

 private:
  [[noreturn]] void error(size_t at, const std::string& msg) {
    auto [line, col] = linecol(at);
    throw TemplateError(line, col, msg);
  }

  // Positions are requested in increasing order, so counting newlines incrementally keeps
  // the lexer linear.
  std::pair<int, int> linecol(size_t at) {
    if (at < cursor_) { cursor_ = 0; line_ = 1; line_start_ = 0; }
    for (; cursor_ < at && cursor_ < s_.size(); ++cursor_) {
      if (s_[cursor_] == '\n') { ++line_; line_start_ = cursor_ + 1; }
    }
    return {line_, static_cast<int>(at - line_start_) + 1};
  }

  void set_pos(Token& tok, size_t at) {
    auto [line, col] = linecol(at);
    tok.line = line;
    tok.col = col;
  }

  void push(Tok type, std::string text, size_t at) {
    Token tok;
    tok.type = type;
    tok.text = std::move(text);
    set_pos(tok, at);
    out_.push_back(std::move(tok));
  }

  void emit_text(std::string text, size_t at) {
    if (!text.empty()) push(Tok::Text, std::move(text), at);
  }

  size_t find_tag(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string::npos && i + 1 < s_.size(); i = s_.find('{', i + 1)) {
      char c = s_[i + 1];
      if (c == '{' || c == '%' || c == '#') return i;
    }
    return std::string::npos;
  }

  static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

  size_t skip_ws(size_t p) const {
    while (p < s_.size() && is_ws(s_[p])) ++p;
    return p;
  }

  // `-` strips all whitespace before the tag; otherwise lstrip_blocks removes the spaces
  // between the line start and a block/comment tag.
  static void apply_left_strip(std::string& text, char mod, bool is_block, bool line_starting) {
    if (mod == '-') {
      text = pystr::strip(text, std::nullopt, false, true);
      return;
    }
    if (mod == '+' || !is_block) return;
    size_t l_pos = text.rfind('\n');
    l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
    if (l_pos == 0 && !line_starting) return;
    if (l_pos == text.size()) return;
    for (char32_t c : pystr::decode(std::string_view(text).substr(l_pos))) {
      if (!pystr::is_space(c)) return;
    }
    text.resize(l_pos);
  }

  // Matches "{%[-+]? *raw *[-]?%}" at t; returns the position after it or npos.
  size_t raw_tag_end(size_t t, const char* word) const {
    size_t p = t + 2;
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) ++p;
    p = skip_ws(p);
    size_t n = std::strlen(word);
    if (s_.compare(p, n, word) != 0) return std::string::npos;
    p = skip_ws(p + n);
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) ++p;
    if (s_.compare(p, 2, "%}") != 0) return std::string::npos;
    return p + 2;
  }

  bool is_raw_begin(size_t t) const { return raw_tag_end(t, "raw") != std::string::npos; }

  size_t lex_comment(size_t t) {
    size_t end = s_.find("#}", t + 2);
    if (end == std::string::npos) error(t, "unclosed comment (missing '#}')");
    size_t p = end + 2;
    if (end > t + 2 && s_[end - 1] == '-') return skip_ws(p);
    if (p < s_.size() && s_[p] == '\n') ++p;  // trim_blocks
    return p;
  }

  size_t lex_raw(size_t t) {
    size_t p = raw_tag_end(t, "raw");
    if (s_[p - 3] == '-') p = skip_ws(p);
    bool line_starting = p > 0 && s_[p - 1] == '\n';
    for (size_t q = s_.find("{%", p); q != std::string::npos; q = s_.find("{%", q + 2)) {
      size_t e = raw_tag_end(q, "endraw");
      if (e == std::string::npos) continue;
      std::string text = s_.substr(p, q - p);
      apply_left_strip(text, q + 2 < s_.size() ? s_[q + 2] : '\0', true, line_starting);
      emit_text(std::move(text), p);
      char right = s_[e - 3];
      if (right == '-') return skip_ws(e);
      if (right != '+' && e < s_.size() && s_[e] == '\n') ++e;
      return e;
    }
    error(t, "unclosed 'raw' block (missing 'endraw')");
  }

  size_t lex_tag(size_t t, bool is_var) {
    push(is_var ? Tok::VarBegin : Tok::BlockBegin, "", t);
    size_t p = t + 2;
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) ++p;
    int depth = 0;
    const char close = is_var ? '}' : '%';
    for (;;) {
      p = skip_ws(p);
      if (p >= s_.size()) error(t, is_var ? "unclosed '{{' (missing '}}')" : "unclosed '{%' (missing '%}')");
      if (depth == 0) {
        size_t q = p;
        char mod = '\0';
        if (s_[q] == '-' || s_[q] == '+') mod = s_[q++];
        if (q + 1 < s_.size() && s_[q] == close && s_[q + 1] == '}') {
          push(is_var ? Tok::VarEnd : Tok::BlockEnd, "", p);
          size_t e = q + 2;
          if (mod == '-') return skip_ws(e);
          if (!is_var && mod != '+' && e < s_.size() && s_[e] == '\n') ++e;  // trim_blocks
          return e;
        }
      }
      p = lex_expr_token(p, depth);
    }
  }

  size_t lex_expr_token(size_t p, int& depth) {
    const char c = s_[p];
    if (c == '\'' || c == '"') return lex_string(p);
    if (c >= '0' && c <= '9') return lex_number(p);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
      size_t e = p;
      while (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
      push(Tok::Name, s_.substr(p, e - p), p);
      return e;
    }
    static const char* const kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kTwo) {
      if (s_.compare(p, 2, op) == 0) {
        push(Tok::Op, op, p);
        return p + 2;
      }
    }
    if (std::strchr("+-*/%~()[]{},.:|=<>;", c) != nullptr && c != '\0') {
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      push(Tok::Op, std::string(1, c), p);
      return p + 1;
    }
    error(p, std::string("unexpected character '") + c + "' in tag");
  }

  size_t lex_string(size_t p) {
    const char q = s_[p];
    std::string out;
    size_t i = p + 1;
    while (i < s_.size() && s_[i] != q) {
      if (s_[i] != '\\') { out += s_[i++]; continue; }
      if (i + 1 >= s_.size()) break;
      char e = s_[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x': case 'u': case 'U': {
          size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            if (i + k >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i + k]))) {
              error(i - 2, std::string("invalid \\") + e + " escape in string literal");
            }
            char h = s_[i + k];
            cp = cp * 16 + static_cast<char32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          }
          if (cp > 0x10FFFF) error(i - 2, "invalid \\U escape in string literal");
          pystr::append_utf8(out, cp);
          i += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i < s_.size() && s_[i] >= '0' && s_[i] <= '7'; ++k) cp = cp * 8 + static_cast<char32_t>(s_[i++] - '0');
            pystr::append_utf8(out, cp);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    if (i >= s_.size()) error(p, "unterminated string literal");
    push(Tok::String, std::move(out), p);
    return i + 1;
  }

  size_t digits(size_t p, bool (*ok)(char)) const {
    // digits with single '_' separators
    size_t e = p;
    while (e < s_.size() && (ok(s_[e]) || (s_[e] == '_' && e + 1 < s_.size() && ok(s_[e + 1]) && e > p))) ++e;
    return e;
  }

  size_t lex_number(size_t p) {
    static auto dec = [](char c) { return c >= '0' && c <= '9'; };
    if (s_[p] == '0' && p + 1 < s_.size() && std::strchr("xXoObB", s_[p + 1]) && s_[p + 1] != '\0') {
      char b = static_cast<char>(s_[p + 1] | 0x20);
      auto ok = b == 'x' ? +[](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
                : b == 'o' ? +[](char c) { return c >= '0' && c <= '7'; }
                           : +[](char c) { return c == '0' || c == '1'; };
      size_t e = p + 2;
      if (e < s_.size() && s_[e] == '_') ++e;
      size_t end = digits(e, ok);
      if (end == e) error(p, "invalid number literal");
      std::string spelled;
      for (size_t k = e; k < end; ++k) if (s_[k] != '_') spelled += s_[k];
      push(Tok::Int, std::string("0") + b + spelled, p);
      return end;
    }
    size_t e = digits(p, dec);
    bool is_float = false;
    const bool after_dot = !out_.empty() && out_.back().type == Tok::Op && out_.back().text == ".";
    if (!after_dot) {
      if (e + 1 < s_.size() && s_[e] == '.' && dec(s_[e + 1])) {
        e = digits(e + 1, dec);
        is_float = true;
      }
      if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
        size_t k = e + 1;
        if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
        if (k < s_.size() && dec(s_[k])) {
          e = digits(k, dec);
          is_float = true;
        }
      }
    }
    std::string spelled;
    for (size_t k = p; k < e; ++k) if (s_[k] != '_') spelled += s_[k];
    push(is_float ? Tok::Float : Tok::Int, std::move(spelled), p);
    return e;
  }

  const std::string& s_;
  std::vector<Token> out_;
  size_t cursor_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(source).run(); }

}  // namespace minnow::chat
