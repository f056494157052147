#include "peer/llama_peer.h"

#include <dlfcn.h>
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "kernels/kernels.h"
#include "util/error.h"

#ifndef MINNOW_LLAMA_LIB_DIR
#define MINNOW_LLAMA_LIB_DIR ""
#endif

namespace minnow::peer {

// Function pointers typed from llama.h itself (decltype does not reference the symbols, so
// nothing links against libllama).
#define MINNOW_PEER_FUNCTIONS(X)                                                             \
  X(llama_backend_init) X(llama_log_set) X(llama_model_default_params)                     \
  X(llama_context_default_params) X(llama_model_load_from_file) X(llama_model_free)        \
  X(llama_init_from_model) X(llama_free) X(llama_model_get_vocab) X(llama_vocab_n_tokens)  \
  X(llama_n_ctx) X(llama_n_threads) X(llama_model_desc) X(llama_tokenize)                  \
  X(llama_token_to_piece) X(llama_vocab_is_eog) X(llama_vocab_bos) X(llama_get_memory)     \
  X(llama_memory_clear) X(llama_batch_init) X(llama_batch_free) X(llama_decode)            \
  X(llama_get_logits_ith) X(llama_synchronize)
#define MINNOW_GGML_FUNCTIONS(X) X(ggml_backend_reg_by_name) X(ggml_backend_load_all_from_path)

struct Api {
#define MINNOW_DECLARE(name) decltype(&::name) name = nullptr;
  MINNOW_PEER_FUNCTIONS(MINNOW_DECLARE)
  MINNOW_GGML_FUNCTIONS(MINNOW_DECLARE)
#undef MINNOW_DECLARE
};

namespace {

constexpr const char* kLlamaLib = "libllama.v0.5.0.so";
constexpr const char* kGgmlLib = "libggml.v0.5.0.so";

void discard_log(ggml_log_level, const char*, void*) {}

// Keeps the error-level lines llama.cpp logs while a model loads, for the exception message.
struct LoadLog {
  std::string errors;
  bool echo = false;
  static void callback(ggml_log_level level, const char* text, void* user) {
    auto* self = static_cast<LoadLog*>(user);
    if (level == GGML_LOG_LEVEL_ERROR && self->errors.size() < 2000) self->errors += text;
    if (self->echo) std::fputs(text, stderr);
  }
  std::string summary() const {
    std::string s = errors;
    std::replace(s.begin(), s.end(), '\n', ' ');
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }
};

// dlopen with RTLD_NODELETE: ggml registers backends and starts worker threads that live in
// the library for the rest of the process, so unloading it is never safe.
void* open_library(const std::string& path, std::string* why) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!h && why) {
    const char* err = dlerror();
    *why = "cannot load " + path + ": " + (err ? err : "unknown error");
  }
  return h;
}

template <class Fn>
void resolve(void* handle, Fn& slot, const char* name, std::string& missing) {
  slot = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!slot) missing += (missing.empty() ? "" : ", ") + std::string(name);
}

std::shared_ptr<const Api> load_api(const std::string& dir, std::string* why) {
  if (dir.empty()) {
    *why = "no llama.cpp library directory (set MINNOW_LLAMA_LIB_DIR or run scripts/setup.sh)";
    return nullptr;
  }
  const std::string llama_path = dir + "/" + kLlamaLib;
  if (!std::filesystem::exists(llama_path)) {
    *why = "llama.cpp library not found: " + llama_path +
           " (run scripts/setup.sh or set MINNOW_LLAMA_LIB_DIR)";
    return nullptr;
  }
  void* llama = open_library(llama_path, why);
  if (!llama) return nullptr;
  void* ggml = open_library(dir + "/" + kGgmlLib, why);
  if (!ggml) return nullptr;

  auto api = std::make_shared<Api>();
  std::string missing;
#define MINNOW_LLAMA_SYM(name) resolve(llama, api->name, #name, missing);
#define MINNOW_GGML_SYM(name) resolve(ggml, api->name, #name, missing);
  MINNOW_PEER_FUNCTIONS(MINNOW_LLAMA_SYM)
  MINNOW_GGML_FUNCTIONS(MINNOW_GGML_SYM)
#undef MINNOW_LLAMA_SYM
#undef MINNOW_GGML_SYM
  if (!missing.empty()) {
    *why = llama_path + " lacks " + missing + " (not the llama.cpp version Minnow was built for)";
    return nullptr;
  }
  return api;
}

llama_flash_attn_type to_llama(FlashAttn fa) {
  switch (fa) {
    case FlashAttn::On: return LLAMA_FLASH_ATTN_TYPE_ENABLED;
    case FlashAttn::Auto: return LLAMA_FLASH_ATTN_TYPE_AUTO;
    case FlashAttn::Off: break;
  }
  return LLAMA_FLASH_ATTN_TYPE_DISABLED;
}

}  // namespace

std::string resolve_lib_dir(const PeerOptions& opt) {
  if (!opt.lib_dir.empty()) return opt.lib_dir;
  if (const char* env = std::getenv("MINNOW_LLAMA_LIB_DIR"); env && *env) return env;
  return MINNOW_LLAMA_LIB_DIR;
}

bool peer_available(const PeerOptions& opt, std::string* why) {
  std::string reason;
  const bool ok = load_api(resolve_lib_dir(opt), &reason) != nullptr;
  if (why) *why = reason;
  return ok;
}

std::unique_ptr<LlamaPeer> LlamaPeer::load(const std::string& gguf_path, const PeerOptions& opt) {
  if (opt.n_ctx == 0 || opt.n_batch == 0) throw Error("llama.cpp peer: n_ctx and n_batch must be > 0");
  // llama.cpp's build for AMX CPUs runs tile instructions without asking Linux for the tile
  // data first (SIGILL when nothing in the process has asked: OracleLong ran it before any
  // Minnow kernel). detect_cpu_features asks for this process.
  (void)kernels::detect_cpu_features();
  std::unique_ptr<LlamaPeer> peer(new LlamaPeer());
  peer->lib_dir_ = resolve_lib_dir(opt);
  std::string why;
  peer->api_ = load_api(peer->lib_dir_, &why);
  if (!peer->api_) throw Error("llama.cpp peer unavailable: " + why);
  const Api& a = *peer->api_;

  LoadLog log;
  log.echo = !opt.quiet;
  a.llama_log_set(&LoadLog::callback, &log);
  // Whatever happens below, leave no pointer to `log` registered with the library.
  struct RestoreLog {
    const Api& a;
    bool quiet;
    ~RestoreLog() { a.llama_log_set(quiet ? &discard_log : nullptr, nullptr); }
  } restore{a, opt.quiet};

  a.llama_backend_init();
  // The CPU backend is a plugin (one build per ISA level); load the best one once per process.
  if (!a.ggml_backend_reg_by_name("CPU")) a.ggml_backend_load_all_from_path(peer->lib_dir_.c_str());
  if (!a.ggml_backend_reg_by_name("CPU")) {
    throw Error("llama.cpp peer: no CPU backend plugin (libggml-cpu-*.so) loads from " +
                peer->lib_dir_);
  }

  if (!std::filesystem::exists(gguf_path)) throw Error("llama.cpp peer: no such file: " + gguf_path);
  llama_model_params mp = a.llama_model_default_params();
  mp.n_gpu_layers = 0;
  mp.use_extra_bufts = opt.repack_weights;
  peer->model_ = a.llama_model_load_from_file(gguf_path.c_str(), mp);
  if (!peer->model_) {
    throw Error("llama.cpp cannot load " + gguf_path +
                (log.errors.empty() ? std::string() : ": " + log.summary()));
  }

  const int threads = opt.n_threads > 0 ? opt.n_threads
                                        : int(std::max(1u, std::thread::hardware_concurrency()));
  llama_context_params cp = a.llama_context_default_params();
  cp.n_ctx = opt.n_ctx;
  cp.n_batch = opt.n_batch;
  cp.n_ubatch = opt.n_batch;
  cp.n_seq_max = 1;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.flash_attn_type = to_llama(opt.flash_attn);
  cp.no_perf = true;
  peer->ctx_ = a.llama_init_from_model(peer->model_, cp);
  if (!peer->ctx_) {
    throw Error("llama.cpp cannot create a context for " + gguf_path +
                (log.errors.empty() ? std::string() : ": " + log.summary()));
  }
  peer->vocab_ = a.llama_model_get_vocab(peer->model_);
  peer->n_vocab_ = a.llama_vocab_n_tokens(peer->vocab_);
  peer->n_batch_ = opt.n_batch;
  return peer;
}

LlamaPeer::~LlamaPeer() {
  if (!api_) return;
  if (ctx_) api_->llama_free(ctx_);
  if (model_) api_->llama_model_free(model_);
}

int LlamaPeer::n_vocab() const { return n_vocab_; }
int LlamaPeer::n_ctx() const { return int(api_->llama_n_ctx(ctx_)); }
int LlamaPeer::n_threads() const { return api_->llama_n_threads(ctx_); }

std::string LlamaPeer::description() const {
  char buf[256];
  const int n = api_->llama_model_desc(model_, buf, sizeof buf);
  return n > 0 ? std::string(buf, std::min<size_t>(size_t(n), sizeof buf - 1)) : std::string();
}

std::vector<int32_t> LlamaPeer::tokenize(std::string_view text, bool add_special,
                                         bool parse_special) const {
  if (text.size() > size_t(INT32_MAX / 2)) throw Error("llama.cpp peer: text too long to tokenize");
  std::vector<llama_token> out(text.size() + 4);
  int n = api_->llama_tokenize(vocab_, text.data(), int32_t(text.size()), out.data(),
                               int32_t(out.size()), add_special, parse_special);
  if (n < 0) {
    if (n == INT32_MIN) throw Error("llama.cpp peer: tokenization overflow");
    out.resize(size_t(-n));
    n = api_->llama_tokenize(vocab_, text.data(), int32_t(text.size()), out.data(),
                             int32_t(out.size()), add_special, parse_special);
    if (n < 0) throw Error("llama.cpp peer: tokenization failed");
  }
  out.resize(size_t(n));
  return out;
}

std::string LlamaPeer::token_to_piece(int32_t token, bool special) const {
  if (token < 0 || token >= n_vocab_) throw Error("llama.cpp peer: token id out of range: " + std::to_string(token));
  std::string piece(32, '\0');
  int n = api_->llama_token_to_piece(vocab_, token, piece.data(), int32_t(piece.size()), 0, special);
  if (n < 0) {
    piece.resize(size_t(-n));
    n = api_->llama_token_to_piece(vocab_, token, piece.data(), int32_t(piece.size()), 0, special);
    if (n < 0) throw Error("llama.cpp peer: token_to_piece failed");
  }
  piece.resize(size_t(n));
  return piece;
}

bool LlamaPeer::is_eog(int32_t token) const { return api_->llama_vocab_is_eog(vocab_, token); }
int32_t LlamaPeer::bos() const { return api_->llama_vocab_bos(vocab_); }

void LlamaPeer::clear_sequence() {
  api_->llama_memory_clear(api_->llama_get_memory(ctx_), true);
  pos_ = 0;
  last_logits_.clear();
  decoded_.clear();
}

void LlamaPeer::run(const std::vector<int32_t>& tokens, bool all_logits, std::vector<float>* out) {
  if (tokens.empty()) throw Error("llama.cpp peer: nothing to evaluate");
  if (size_t(pos_) + tokens.size() > size_t(n_ctx())) {
    throw Error("llama.cpp peer: " + std::to_string(pos_ + tokens.size()) +
                " tokens exceed the context of " + std::to_string(n_ctx()));
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= n_vocab_) throw Error("llama.cpp peer: token id out of range: " + std::to_string(t));
  }
  const Api& a = *api_;
  llama_batch batch = a.llama_batch_init(int32_t(n_batch_), 0, 1);
  struct FreeBatch {
    const Api& a;
    llama_batch& b;
    ~FreeBatch() { a.llama_batch_free(b); }
  } free_batch{a, batch};

  for (size_t start = 0; start < tokens.size(); start += n_batch_) {
    const size_t count = std::min<size_t>(n_batch_, tokens.size() - start);
    const bool last_chunk = start + count == tokens.size();
    batch.n_tokens = int32_t(count);
    for (size_t i = 0; i < count; ++i) {
      batch.token[i] = tokens[start + i];
      batch.pos[i] = pos_ + int32_t(i);
      batch.n_seq_id[i] = 1;
      batch.seq_id[i][0] = 0;
      batch.logits[i] = all_logits || (last_chunk && i + 1 == count);
    }
    const int32_t rc = a.llama_decode(ctx_, batch);
    if (rc != 0) throw Error("llama.cpp peer: llama_decode failed (code " + std::to_string(rc) + ")");
    pos_ += int32_t(count);
    if (all_logits) {
      for (size_t i = 0; i < count; ++i) {
        const float* row = a.llama_get_logits_ith(ctx_, int32_t(i));
        if (!row) throw Error("llama.cpp peer: no logits for batch position " + std::to_string(i));
        out->insert(out->end(), row, row + n_vocab_);
      }
    }
    if (last_chunk) {
      const float* row = a.llama_get_logits_ith(ctx_, int32_t(count - 1));
      if (!row) throw Error("llama.cpp peer: no logits for the last position");
      last_logits_.assign(row, row + n_vocab_);
    }
  }
  a.llama_synchronize(ctx_);
}

int32_t LlamaPeer::argmax_last() const {
  // max_element returns the first maximum: lowest id wins ties.
  return int32_t(std::max_element(last_logits_.begin(), last_logits_.end()) - last_logits_.begin());
}

std::vector<float> LlamaPeer::eval_all_logits(const std::vector<int32_t>& tokens) {
  clear_sequence();
  std::vector<float> out;
  out.reserve(tokens.size() * size_t(n_vocab_));
  run(tokens, true, &out);
  return out;
}

std::vector<int32_t> LlamaPeer::greedy(const std::vector<int32_t>& prompt, int n) {
  if (n < 0) throw Error("llama.cpp peer: negative token count");
  prefill(prompt);
  decode(n);
  return decoded_;
}

double LlamaPeer::prefill(const std::vector<int32_t>& tokens) {
  clear_sequence();
  const auto t0 = std::chrono::steady_clock::now();
  run(tokens, false, nullptr);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double LlamaPeer::decode(int n) {
  if (last_logits_.empty()) throw Error("llama.cpp peer: decode() needs a prefill() first");
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const int32_t next = argmax_last();
    decoded_.push_back(next);
    // Every chosen token is evaluated, so a later decode() continues from it.
    run({next}, false, nullptr);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace minnow::peer
