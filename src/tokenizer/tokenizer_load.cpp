// Builds Tokenizer::Impl from GGUF metadata, reproducing how llama.cpp's llama_vocab::load
// derives flags, special ids, token attributes and the end-of-generation set.
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <set>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace minnow {

namespace {

using Impl = Tokenizer::Impl;

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

const gguf::Value& require_array(const gguf::File& f, std::string_view key, gguf::ValueType elem) {
  const gguf::Value* v = f.find(key);
  if (v == nullptr) throw Error(f.path() + ": missing " + std::string(key));
  if (v->type != gguf::ValueType::ARRAY || v->elem_type != elem)
    throw Error(f.path() + ": " + std::string(key) + " has the wrong type");
  return *v;
}

// Flags that depend on the pre-tokenizer name (llama_vocab::load's big if-chain).
void apply_pre_flags(Impl& t) {
  const std::string_view p = t.pre;
  t.clean_spaces = true;
  if (is_one_of(p, {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                    "midm-2.0", "lfm2"})) {
    t.ignore_merges = true;
    t.add_bos = true;
  } else if (is_one_of(p, {"deepseek-llm", "deepseek-coder", "qwen2", "deepseek-r1-qwen", "qwen35",
                           "command-r", "smollm", "hunyuan", "grok-2"})) {
    t.clean_spaces = false;
  } else if (is_one_of(p, {"glm4", "chatglm-bpe"})) {
    t.bos = Tokenizer::kNone;
  }
}

void load_merges(const gguf::File& f, Impl& t) {
  const gguf::Value& m = require_array(f, "tokenizer.ggml.merges", gguf::ValueType::STRING);
  t.merges.reserve(m.strings.size());
  std::string joined;
  for (size_t i = 0; i < m.strings.size(); ++i) {
    const std::string_view rule = m.strings[i];
    // The separator is the first space after position 0: a half may itself start with one.
    const size_t sp = rule.size() > 1 ? rule.find(' ', 1) : std::string_view::npos;
    std::string_view left, right;
    if (sp != std::string_view::npos) {
      left = rule.substr(0, sp);
      right = rule.substr(sp + 1);
    }
    const int32_t l = t.lookup(left), r = t.lookup(right);
    const auto rank = int32_t(i);
    if (l != Tokenizer::kNone && r != Tokenizer::kNone) {
      // First rule wins for duplicates, as in llama.cpp's emplace.
      joined.assign(left).append(right);
      t.merges.insert(tok::pair_key(l, r), tok::MergeInfo{rank, t.lookup(joined)});
    } else {
      t.odd_merges.emplace(std::string(left) + '\x1F' + std::string(right), rank);
    }
  }
}

void load_vocab(const gguf::File& f, Impl& t) {
  const gguf::Value& toks = require_array(f, "tokenizer.ggml.tokens", gguf::ValueType::STRING);
  const size_t n = toks.strings.size();
  if (n == 0 || n > size_t(INT32_MAX)) throw Error(f.path() + ": bad tokenizer.ggml.tokens size");
  t.tokens.resize(n);
  t.scores.assign(n, 0.0f);
  t.attrs.assign(n, kAttrNormal);
  for (size_t i = 0; i < n; ++i) {
    std::string word(toks.strings[i]);
    if (word.empty()) word = "[EMPTY_" + std::to_string(i) + "]";
    t.tokens[i] = std::move(word);
  }
  t.token_to_id = tok::TokenIndex(t.tokens);
  if (const gguf::Value* s = f.find("tokenizer.ggml.scores")) {
    if (s->type != gguf::ValueType::ARRAY ||
        (s->elem_type != gguf::ValueType::F32 && s->elem_type != gguf::ValueType::I32))
      throw Error(f.path() + ": tokenizer.ggml.scores has the wrong type");
    if (s->count < n) throw Error(f.path() + ": tokenizer.ggml.scores is shorter than the vocabulary");
    for (size_t i = 0; i < n; ++i) t.scores[i] = float(s->array_float(i));
  }
  if (const gguf::Value* ty = f.find("tokenizer.ggml.token_type")) {
    if (ty->type != gguf::ValueType::ARRAY || ty->elem_type != gguf::ValueType::I32)
      throw Error(f.path() + ": tokenizer.ggml.token_type has the wrong type");
    if (ty->count < n)
      throw Error(f.path() + ": tokenizer.ggml.token_type is shorter than the vocabulary");
    for (size_t i = 0; i < n; ++i) {
      switch (ty->array_int(i)) {  // GGUF token types -> attribute bits
        case 1: t.attrs[i] = kAttrNormal; break;
        case 2: t.attrs[i] = kAttrUnknown; break;
        case 3: t.attrs[i] = kAttrControl; break;
        case 4: t.attrs[i] = kAttrUserDefined; break;
        case 5: t.attrs[i] = kAttrUnused; break;
        case 6: t.attrs[i] = kAttrByte; break;
        default: t.attrs[i] = kAttrUndefined; break;
      }
    }
  }
}

struct SpecialIds {
  int32_t fim_pre = Tokenizer::kNone, fim_suf = Tokenizer::kNone, fim_mid = Tokenizer::kNone;
  int32_t fim_pad = Tokenizer::kNone, fim_rep = Tokenizer::kNone, fim_sep = Tokenizer::kNone;
};

void read_special_ids(const gguf::File& f, Impl& t, SpecialIds& fim) {
  const auto n = int64_t(t.tokens.size());
  int32_t sep = Tokenizer::kNone, mask = Tokenizer::kNone;
  const std::pair<const char*, int32_t*> keys[] = {
      {"tokenizer.ggml.bos_token_id", &t.bos},         {"tokenizer.ggml.eos_token_id", &t.eos},
      {"tokenizer.ggml.eot_token_id", &t.eot},         {"tokenizer.ggml.eom_token_id", &t.eom},
      {"tokenizer.ggml.unknown_token_id", &t.unk},     {"tokenizer.ggml.seperator_token_id", &sep},
      {"tokenizer.ggml.padding_token_id", &t.pad},     {"tokenizer.ggml.mask_token_id", &mask},
      {"tokenizer.ggml.fim_pre_token_id", &fim.fim_pre}, {"tokenizer.ggml.fim_suf_token_id", &fim.fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &fim.fim_mid}, {"tokenizer.ggml.fim_pad_token_id", &fim.fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &fim.fim_rep}, {"tokenizer.ggml.fim_sep_token_id", &fim.fim_sep},
      {"tokenizer.ggml.prefix_token_id", &fim.fim_pre},  {"tokenizer.ggml.suffix_token_id", &fim.fim_suf},
      {"tokenizer.ggml.middle_token_id", &fim.fim_mid},
  };
  for (const auto& [key, id] : keys) {
    if (*id >= n) *id = Tokenizer::kNone;  // a default outside this vocabulary
    const gguf::Value* v = f.find(key);
    if (v == nullptr) continue;
    // Out-of-range ids keep the default, as llama.cpp does.
    if (v->as_uint && *v->as_uint < uint64_t(n)) *id = int32_t(*v->as_uint);
  }
}

// Token-text heuristics llama.cpp applies because converters do not always record these.
void detect_by_text(Impl& t, SpecialIds& fim) {
  struct Rule {
    int32_t* id;
    std::initializer_list<std::string_view> texts;
  };
  const Rule rules[] = {
      {&t.eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                "<end_of_utterance>"}},
      {&t.eom, {"<|eom_id|>"}},
      {&fim.fim_pre, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>",
                      "▁<PRE>", "<|code_prefix|>", "<|prefix|>"}},
      {&fim.fim_suf, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>",
                      "▁<SUF>", "<|code_suffix|>", "<|suffix|>"}},
      {&fim.fim_mid, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
                      "▁<MID>", "<|code_middle|>", "<|middle|>"}},
      {&fim.fim_pad, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}},
      {&fim.fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
      {&fim.fim_sep, {"<|file_sep|>"}},
  };
  for (const auto& rule : rules) {
    if (*rule.id != Tokenizer::kNone) continue;
    // llama.cpp takes whichever its hash map yields first; the list order is a stable choice.
    for (auto text : rule.texts) {
      const int32_t id = t.lookup(text);
      if (id == Tokenizer::kNone) continue;
      *rule.id = id;
      t.attrs[id] |= kAttrControl;
      break;
    }
  }
  for (size_t i = 0; i < t.tokens.size(); ++i) {
    if ((t.attrs[i] & kAttrControl) && t.tokens[i].find("unused") != std::string::npos)
      t.attrs[i] |= kAttrUnused;
  }
}

void build_eog(Impl& t, const SpecialIds& fim) {
  std::set<int32_t> eog;
  for (int32_t id : {fim.fim_pad, fim.fim_rep, fim.fim_sep})
    if (id != Tokenizer::kNone) eog.insert(id);
  for (std::string_view text :
       {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~["}) {
    const int32_t id = t.lookup(text);
    if (id == Tokenizer::kNone) continue;
    eog.insert(id);
    t.attrs[id] |= kAttrControl;
  }
  for (std::string_view text : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    const int32_t id = t.lookup(text);
    if (id != Tokenizer::kNone) t.attrs[id] = kAttrUserDefined;  // gpt-oss: always rendered
  }
  for (int32_t id : {t.eos, t.eot, t.eom})
    if (id != Tokenizer::kNone) eog.insert(id);

  auto in_eog = [&](std::string_view text) {
    const int32_t id = t.lookup(text);
    return id != Tokenizer::kNone && eog.count(id) ? id : Tokenizer::kNone;
  };
  // o200k_harmony / solar-open: "<|end|>" ends a message, not the generation.
  const int32_t end_id = in_eog("<|end|>");
  const bool has_return = in_eog("<|return|>") != Tokenizer::kNone;
  const bool has_call = in_eog("<|call|>") != Tokenizer::kNone || in_eog("<|calls|>") != Tokenizer::kNone;
  const bool has_flush = in_eog("<|flush|>") != Tokenizer::kNone;
  if (end_id != Tokenizer::kNone && ((has_return && has_call) || (has_call && has_flush))) {
    eog.erase(end_id);
    t.attrs[end_id] = kAttrUserDefined;
  }
  // gemma4 / paddleocr: "</s>" is not an end of generation there.
  const int32_t s_id = in_eog("</s>");
  if (s_id != Tokenizer::kNone && in_eog("<|tool_response>") != Tokenizer::kNone) {
    eog.erase(s_id);
    t.attrs[s_id] = kAttrNormal;
  }
  t.eog.assign(eog.begin(), eog.end());
}

void build_specials(Impl& t) {
  for (size_t i = 0; i < t.tokens.size(); ++i) {
    if (t.attrs[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) t.specials.push_back(int32_t(i));
  }
  std::stable_sort(t.specials.begin(), t.specials.end(), [&](int32_t a, int32_t b) {
    return t.tokens[a].size() > t.tokens[b].size();
  });
}

// Per-model attributes llama.cpp sets by name (only the ones that matter for encoding).
void apply_name_attrs(const gguf::File& f, Impl& t) {
  std::string name(f.get_str("general.name").value_or(""));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : t.specials) t.attrs[id] |= kAttrRstrip;
    auto set = [&](std::string_view text, bool on) {
      const int32_t id = t.lookup(text);
      if (id == Tokenizer::kNone) return;
      t.attrs[id] = on ? (t.attrs[id] | kAttrRstrip) : (t.attrs[id] & ~uint32_t(kAttrRstrip));
    };
    set("</s>", true);
    for (auto text : {"<unk>", "<s>", "<|endoftext|>"}) set(text, false);
  }
}

}  // namespace

std::unique_ptr<Tokenizer::Impl> load_tokenizer_impl(const gguf::File& f) {
  auto t = std::make_unique<Impl>();
  const auto model = f.get_str("tokenizer.ggml.model");
  if (!model) throw Error(f.path() + ": no tokenizer (tokenizer.ggml.model missing)");
  t->pre = std::string(f.get_str("tokenizer.ggml.pre").value_or(""));

  load_vocab(f, *t);
  if (*model == "gpt2") {
    t->kind = Tokenizer::Kind::Bpe;
    t->bos = t->eos = 11;  // llama.cpp's defaults for BPE vocabularies
    if (t->pre.empty()) t->pre = "default";
    load_merges(f, *t);
    apply_pre_flags(*t);
    t->pretok = std::make_unique<tok::PreTokenizer>(t->pre);
  } else if (*model == "llama") {
    t->kind = Tokenizer::Kind::Spm;
    t->bos = 1;
    t->eos = 2;
    t->unk = 0;
    t->add_space_prefix = true;
    t->add_bos = true;
  } else {
    throw Error(f.path() + ": unsupported tokenizer.ggml.model '" + std::string(*model) + "'");
  }
  if (auto v = f.get_bool("tokenizer.ggml.add_space_prefix")) t->add_space_prefix = *v;

  SpecialIds fim;
  read_special_ids(f, *t, fim);
  if (auto v = f.get_bool("tokenizer.ggml.add_bos_token")) t->add_bos = *v;
  if (auto v = f.get_bool("tokenizer.ggml.add_eos_token")) t->add_eos = *v;
  // A vocabulary without the BOS/EOS it asks for simply gets none (encode() skips it).
  if (t->bos == Tokenizer::kNone) t->add_bos = false;
  if (t->eos == Tokenizer::kNone) t->add_eos = false;

  detect_by_text(*t, fim);
  build_eog(*t, fim);
  build_specials(*t);
  apply_name_attrs(f, *t);

  t->pieces.resize(t->tokens.size());
  for (size_t i = 0; i < t->tokens.size(); ++i) t->pieces[i] = t->make_piece(int32_t(i));
  return t;
}

}  // namespace minnow
