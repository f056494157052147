#pragma once
// llama.cpp as a peer: the oracle Minnow's tests compare against and the engine `minnow bench
// --peer llama.cpp` races. libllama is loaded at run time (dlopen), so Minnow builds and runs
// without it and can say clearly when it is missing. The library directory is, in order:
// PeerOptions::lib_dir, env MINNOW_LLAMA_LIB_DIR, the build-time default (.deps/llama).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// llama.cpp's opaque handles (global names, as llama.h declares them).
struct llama_model;
struct llama_context;
struct llama_vocab;

namespace minnow::peer {

enum class FlashAttn { Off, On, Auto };

struct PeerOptions {
  uint32_t n_ctx = 512;    // context length (tokens); evaluations longer than this throw
  uint32_t n_batch = 512;  // tokens per llama_decode call (logical and physical batch)
  int n_threads = 0;       // 0: all hardware threads
  // Off by default: llama.cpp's CPU flash attention accumulates V in f16, which drifts from
  // a plain f32 softmax(QK^T)V; the classic path keeps scores and softmax in f32.
  FlashAttn flash_attn = FlashAttn::Off;
  bool repack_weights = true;  // llama.cpp's CPU weight repacking ("extra buffer types")
  bool quiet = true;           // silence llama.cpp/ggml logging
  std::string lib_dir;         // empty: env MINNOW_LLAMA_LIB_DIR, else the build-time default
};

// The directory libllama would be loaded from for `opt` (see top of file).
std::string resolve_lib_dir(const PeerOptions& opt = {});

// True when libllama can be loaded; otherwise false with the reason in *why (if given).
bool peer_available(const PeerOptions& opt = {}, std::string* why = nullptr);

struct Api;  // the dlsym'd function table (defined in llama_peer.cpp)

class LlamaPeer {
 public:
  // Loads libllama (once per process; never unloaded, see .cpp) and the model, creates a context.
  // Throws minnow::Error when the library or the model cannot be loaded.
  static std::unique_ptr<LlamaPeer> load(const std::string& gguf_path, const PeerOptions& opt = {});
  ~LlamaPeer();
  LlamaPeer(const LlamaPeer&) = delete;
  LlamaPeer& operator=(const LlamaPeer&) = delete;

  int n_vocab() const;
  int n_ctx() const;
  int n_threads() const;
  std::string description() const;  // llama.cpp's one-line model description
  std::string lib_dir() const { return lib_dir_; }

  std::vector<int32_t> tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string token_to_piece(int32_t token, bool special = true) const;
  bool is_eog(int32_t token) const;
  int32_t bos() const;  // -1 when the vocab has none

  // Evaluates `tokens` from the start of a fresh sequence (clears the KV cache) and returns the
  // logits of every position, row-major [tokens.size() * n_vocab()].
  std::vector<float> eval_all_logits(const std::vector<int32_t>& tokens);

  // Greedy continuation of `prompt` (fresh sequence) for exactly n tokens: argmax of the logits,
  // lowest id on ties, no stop at end-of-generation tokens. Needs prompt.size() + n <= n_ctx.
  std::vector<int32_t> greedy(const std::vector<int32_t>& prompt, int n);

  // Benchmark steps. prefill() starts a fresh sequence with `tokens` (logits for the last one
  // only) and returns the seconds it took; decode(n) then picks n greedy tokens and evaluates
  // each (n single-token llama_decode calls, so decode() may be called again to continue) and
  // returns the seconds the n steps took. The tokens chosen since prefill() are in decoded().
  double prefill(const std::vector<int32_t>& tokens);
  double decode(int n);
  const std::vector<int32_t>& decoded() const { return decoded_; }

 private:
  LlamaPeer() = default;
  void clear_sequence();
  // Decodes tokens at positions pos_.. in batches; when all_logits, appends every position's
  // logits to *out, otherwise keeps only the last position's logits in last_logits_.
  void run(const std::vector<int32_t>& tokens, bool all_logits, std::vector<float>* out);
  int32_t argmax_last() const;

  std::shared_ptr<const Api> api_;
  std::string lib_dir_;
  ::llama_model* model_ = nullptr;
  ::llama_context* ctx_ = nullptr;
  const ::llama_vocab* vocab_ = nullptr;
  int n_vocab_ = 0;
  uint32_t n_batch_ = 0;
  int32_t pos_ = 0;  // next position in the sequence
  std::vector<float> last_logits_;
  std::vector<int32_t> decoded_;
};

}  // namespace minnow::peer
