#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>

#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace minnow {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

// A stretch of the input: either raw text [begin, begin+len) or a special token.
struct Fragment {
  int32_t token;  // Tokenizer::kNone for text
  size_t begin, len;
};

bool is_c_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

// Cuts special tokens out of the text, longest token first, as llama.cpp's
// tokenizer_st_partition does (including its lstrip/rstrip of neighbouring whitespace).
static std::vector<Fragment> partition(const Tokenizer::Impl& t, std::string_view text,
                                       bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({Tokenizer::kNone, 0, text.size()});
  std::vector<Fragment> next;
  for (const int32_t id : t.specials) {
    const uint32_t attr = t.attrs[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& needle = t.tokens[id];
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token != Tokenizer::kNone) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin, len = f.len;
      while (len > 0) {
        const size_t hit = text.substr(begin, len).find(needle);
        if (hit == std::string_view::npos) break;
        size_t left_len = hit;
        if (attr & kAttrLstrip) {
          while (left_len > 0 && is_c_space(text[begin + left_len - 1])) --left_len;
        }
        if (left_len > 0) next.push_back({Tokenizer::kNone, begin, left_len});
        next.push_back({id, 0, 0});
        size_t rbegin = begin + hit + needle.size();
        size_t rlen = len - hit - needle.size();
        if (attr & kAttrRstrip) {
          while (rlen > 0 && is_c_space(text[rbegin])) {
            ++rbegin;
            --rlen;
          }
        }
        begin = rbegin;
        len = rlen;
      }
      if (len > 0) next.push_back({Tokenizer::kNone, begin, len});
    }
    frags.swap(next);
  }
  return frags;
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
  return std::unique_ptr<Tokenizer>(new Tokenizer(load_tokenizer_impl(file)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  const Impl& t = *impl_;
  std::vector<int32_t> out;
  if (add_special && t.add_bos) out.push_back(t.bos);
  const std::vector<Fragment> frags = partition(t, text, parse_special);
  if (t.kind == Kind::Spm) {
    bool after_special = true;  // the first text gets the space prefix too
    std::string piece;
    for (const Fragment& f : frags) {
      if (f.token != kNone) {
        out.push_back(f.token);
        after_special = true;
        continue;
      }
      piece.clear();
      if (t.add_space_prefix && after_special) piece.push_back(' ');
      piece.append(text.substr(f.begin, f.len));
      t.encode_spm(replace_all(piece, " ", kSpaceMark), out);
      after_special = false;
    }
  } else {
    for (const Fragment& f : frags) {
      if (f.token != kNone) out.push_back(f.token);
      else t.encode_bpe(text.substr(f.begin, f.len), out);
    }
  }
  if (add_special && t.add_eos) out.push_back(t.eos);
  return out;
}

std::string Tokenizer::Impl::make_piece(int32_t id) const {
  const uint32_t a = attrs[id];
  const std::string& text = tokens[id];
  if (a & (kAttrControl | kAttrUnknown | kAttrUserDefined)) return text;
  if (a & kAttrNormal) {
    if (kind == Kind::Spm) return replace_all(text, kSpaceMark, " ");
    std::string out;
    for (uint32_t cp : tok::decode_utf8_lossy(text)) {
      const int b = bytes.decode(cp);
      if (b >= 0) {
        out.push_back(char(b));
      } else {  // not a byte stand-in: llama.cpp's marker for a broken vocabulary entry
        std::string utf8;
        tok::append_utf8(utf8, cp);
        out += "[UNK_BYTE_0x";
        static constexpr char kHex[] = "0123456789abcdef";
        for (unsigned char c : utf8) {
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        }
        out += text;
        out += "]";
      }
    }
    return out;
  }
  if (a & kAttrByte) {
    // "<0xXX>"
    if (text.size() == 6) return std::string(1, char(std::stoi(text.substr(3, 2), nullptr, 16)));
    return std::string();
  }
  return std::string();  // unused / undefined tokens render as nothing
}

static void check_id(const Tokenizer::Impl& t, int32_t id) {
  if (id < 0 || size_t(id) >= t.tokens.size())
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                std::to_string(t.tokens.size()) + ")");
}

const std::string& Tokenizer::token_text(int32_t id) const {
  check_id(*impl_, id);
  return impl_->pieces[id];
}

std::string_view Tokenizer::piece(int32_t id, bool render_special) const {
  check_id(*impl_, id);
  if (!render_special && (impl_->attrs[id] & (kAttrControl | kAttrUnknown))) return {};
  return impl_->pieces[id];
}

// llama_detokenize's clean-up for vocabularies with clean_up_tokenization_spaces.
static std::string clean_spaces(std::string s) {
  std::string a;  // " ?", " !", " .", " ," lose the space
  for (size_t i = 0; i < s.size(); ++i) {
    const char x = s[i];
    if (i > 0 && !a.empty() && s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
      a.pop_back();
    a.push_back(x);
  }
  std::string b;  // " ' " becomes "'"
  size_t dropped = std::string::npos;  // the space after such an apostrophe no longer counts
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i];
    if (i > 0 && x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && i - 1 != dropped &&
        a[i + 1] == ' ') {
      b.pop_back();
      b.push_back(x);
      dropped = ++i;
      continue;
    }
    b.push_back(x);
  }
  std::string c;  // " 's", " 'm", " 're", " 've" lose the space
  for (size_t i = 0; i < b.size(); ++i) {
    const char x = b[i];
    if (i > 0 && b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      const bool two = i + 2 < b.size();
      if (x1 == 's' || x1 == 'm' ||
          (x1 != 't' && x1 != 'd' && two && ((x1 == 'r' || x1 == 'v') && b[i + 2] == 'e')))
        c.pop_back();
    }
    c.push_back(x);
  }
  return c;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool remove_special,
                              bool render_special) const {
  const Impl& t = *impl_;
  bool strip_space = t.add_space_prefix;
  if (remove_special && t.add_bos && !ids.empty() && ids.front() == t.bos) {
    strip_space = false;
    ids = ids.subspan(1);
  }
  if (remove_special && t.add_eos && !ids.empty() && ids.back() == t.eos) ids = ids.first(ids.size() - 1);
  std::string out;
  for (const int32_t id : ids) {
    std::string_view p = piece(id, render_special);
    if (strip_space && !p.empty() && p.front() == ' ') p.remove_prefix(1);
    strip_space = false;
    out.append(p);
  }
  return t.clean_spaces ? clean_spaces(std::move(out)) : out;
}

const std::string& Tokenizer::vocab_string(int32_t id) const {
  check_id(*impl_, id);
  return impl_->tokens[id];
}
std::optional<int32_t> Tokenizer::find_token(std::string_view s) const {
  const int32_t id = impl_->lookup(s);
  if (id == kNone) return std::nullopt;
  return id;
}
uint32_t Tokenizer::attr(int32_t id) const {
  check_id(*impl_, id);
  return impl_->attrs[id];
}
int32_t Tokenizer::n_vocab() const { return int32_t(impl_->tokens.size()); }
Tokenizer::Kind Tokenizer::kind() const { return impl_->kind; }
const std::string& Tokenizer::pre() const { return impl_->pre; }
int32_t Tokenizer::bos() const { return impl_->bos; }
int32_t Tokenizer::eos() const { return impl_->eos; }
int32_t Tokenizer::eot() const { return impl_->eot; }
int32_t Tokenizer::eom() const { return impl_->eom; }
int32_t Tokenizer::unk() const { return impl_->unk; }
int32_t Tokenizer::pad() const { return impl_->pad; }
bool Tokenizer::add_bos() const { return impl_->add_bos; }
bool Tokenizer::add_eos() const { return impl_->add_eos; }
bool Tokenizer::add_space_prefix() const { return impl_->add_space_prefix; }
bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(impl_->eog.begin(), impl_->eog.end(), id);
}
const std::vector<int32_t>& Tokenizer::eog_ids() const { return impl_->eog; }
bool Tokenizer::is_control(int32_t id) const {
  return (attr(id) & (kAttrControl | kAttrUnknown)) != 0;
}

Detokenizer::Detokenizer(const Tokenizer& tok, Options opts) : tok_(tok), opts_(opts) {}

std::string Detokenizer::push(int32_t id) {
  std::string_view p;
  if (first_ && opts_.from_text_start) {
    first_ = false;
    if (tok_.add_bos() && id == tok_.bos()) return {};  // dropped; the space stays after BOS
    p = tok_.piece(id, opts_.render_special);
    if (tok_.add_space_prefix() && !p.empty() && p.front() == ' ') p.remove_prefix(1);
  } else {
    first_ = false;
    p = tok_.piece(id, opts_.render_special);
  }
  pending_.append(p);
  return take_complete();
}

std::string Detokenizer::take_complete() {
  const size_t n = tok::utf8_complete_prefix(pending_);
  std::string out = tok::sanitize_utf8(std::string_view(pending_).substr(0, n));
  pending_.erase(0, n);
  return out;
}

std::string Detokenizer::flush() {
  std::string out = tok::sanitize_utf8(pending_);
  pending_.clear();
  first_ = true;
  return out;
}

}  // namespace minnow
