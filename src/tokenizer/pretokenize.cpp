#include "tokenizer/pretokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 32
#include <pcre2.h>

#include <string>

#include "tokenizer/unicode.h"
#include "util/error.h"

namespace minnow::tok {

namespace {

// llama.cpp's notion of whitespace (Unicode White_Space), written out because PCRE2 10.42's
// \s in UCP mode leaves out U+0085.
constexpr std::string_view kSpaceSet =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// Rewrites \s and \S so every pattern uses kSpaceSet.
std::string expand_spaces(std::string_view pat) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pat.size(); ++i) {
    const char c = pat[i];
    if (c == '\\' && i + 1 < pat.size()) {
      const char n = pat[i + 1];
      if (n == 's') {
        out += in_class ? std::string(kSpaceSet) : "[" + std::string(kSpaceSet) + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + std::string(kSpaceSet) + "]";
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

// The contraction alternatives of the Llama-3 family, case-insensitive as in tokenizer.json.
constexpr std::string_view kContractions =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))";

std::vector<std::string> patterns_for(std::string_view name) {
  const std::string gpt2 =
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
  auto llama3_like = [](std::string_view digits) {
    return std::string(kContractions) + R"(|[^\r\n\p{L}\p{N}]?\p{L}+|)" + std::string(digits) +
           R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  };
  if (name == "llama3" || name == "llama-v3" || name == "llama-bpe" || name == "falcon3" ||
      name == "falcon-h1" || name == "pixtral" || name == "midm-2.0" || name == "lfm2" ||
      name == "dbrx" || name == "smaug-bpe" || name == "glm4" || name == "chatglm-bpe") {
    return {llama3_like(R"(\p{N}{1,3})")};
  }
  if (name == "qwen2" || name == "deepseek-r1-qwen" || name == "megrez" || name == "stablelm2" ||
      name == "hunyuan" || name == "grok-2") {
    return {llama3_like(R"(\p{N})")};
  }
  if (name == "qwen35") {
    return {std::string(kContractions) +
            R"(|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
  }
  if (name == "gpt-2" || name == "phi-2" || name == "mpt" || name == "olmo" || name == "jais" ||
      name == "exaone4" || name == "roberta-bpe") {
    // The trailing \s+ is llama.cpp's: its splitter keeps a lone whitespace that (?!\S) rejects.
    return {gpt2};
  }
  if (name == "starcoder" || name == "refact" || name == "command-r" || name == "smollm" ||
      name == "codeshell" || name == "exaone" || name == "minerva-7b") {
    return {R"(\p{N})", gpt2};
  }
  if (name == "deepseek-llm") {
    return {
        R"([\r\n])",
        R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
        R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})"
        R"(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})"
        R"(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})"
        R"(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
        R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D})"
        R"(\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3})"
        R"(\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
        R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
        R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
        R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
        R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF})"
        R"(\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F})"
        R"(\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
        R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)",
        R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
        R"(\s+$)",
        R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)",
        R"(\p{N}+)",
    };
  }
  if (name == "deepseek-coder") {
    return {
        R"([\r\n])",
        R"(\s?\p{L}+)",
        R"(\s?\p{P}+)",
        R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)",
        R"(\p{N})",
    };
  }
  if (name == "default") {
    return {
        R"([\p{P}\$\+<=>\^~\|]+)",
        gpt2,
        R"(\p{N}+)",
        R"([0-9][0-9][0-9])",
    };
  }
  throw Error("unsupported tokenizer.ggml.pre '" + std::string(name) + "'");
}

}  // namespace

struct Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(std::string_view name) {
  for (const auto& pat : patterns_for(name)) {
    const std::string expanded = expand_spaces(pat);
    const std::vector<uint32_t> pat32 = decode_utf8_lossy(expanded);
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto re = std::make_unique<Regex>();
    // DOLLAR_ENDONLY: "$" means the end of the piece only, as in std::regex (ECMAScript).
    re->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pat32.data()), pat32.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off,
                             nullptr);
    if (re->code == nullptr) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(err, buf, 256);
      std::string msg;
      for (size_t i = 0; i < 256 && buf[i] != 0; ++i) append_utf8(msg, buf[i]);
      throw Error("pre-tokenizer '" + std::string(name) + "': bad regex at " +
                  std::to_string(err_off) + ": " + msg);
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    regexes_.push_back(std::move(re));
  }
}

PreTokenizer::~PreTokenizer() = default;

std::vector<std::pair<size_t, size_t>> PreTokenizer::split(
    const std::vector<uint32_t>& cpts) const {
  // PCRE2 rejects surrogate code points in UTF mode; U+FFFD has the same classes here.
  std::vector<uint32_t> subject(cpts);
  for (auto& c : subject) {
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = kReplacementChar;
  }

  std::vector<std::pair<size_t, size_t>> pieces;
  if (!subject.empty()) pieces.emplace_back(0, subject.size());

  struct MatchData {
    pcre2_match_data* md;
    ~MatchData() { pcre2_match_data_free(md); }
  };
  for (const auto& re : regexes_) {
    MatchData md{pcre2_match_data_create_from_pattern(re->code, nullptr)};
    std::vector<std::pair<size_t, size_t>> next;
    next.reserve(pieces.size() * 2);
    for (const auto& [begin, end] : pieces) {
      const auto* piece = reinterpret_cast<PCRE2_SPTR>(subject.data() + begin);
      const size_t len = end - begin;
      size_t pos = 0;   // search start within the piece
      size_t done = 0;  // end of the last emitted word within the piece
      while (pos <= len) {
        const uint32_t opts = PCRE2_NO_UTF_CHECK;
        const int rc = re->jit ? pcre2_jit_match(re->code, piece, len, pos, opts, md.md, nullptr)
                               : pcre2_match(re->code, piece, len, pos, opts, md.md, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) throw Error("pre-tokenizer regex failed (PCRE2 error " + std::to_string(rc) + ")");
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.md);
        const size_t ms = ov[0], me = ov[1];
        if (me == ms) {  // empty match: no word; step past it
          pos = ms + 1;
          continue;
        }
        if (ms > done) next.emplace_back(begin + done, begin + ms);
        next.emplace_back(begin + ms, begin + me);
        done = pos = me;
      }
      if (done < len) next.emplace_back(begin + done, end);
    }
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace minnow::tok
