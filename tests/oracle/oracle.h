#pragma once
// Oracle comparison harness: llama.cpp's greedy continuation and teacher-forced logits for a
// model and prompt, and the metrics that compare another engine's logits against them.
//
// Protocol (one "case"): a prompt of exactly n_prompt tokens (32), llama.cpp's greedy
// continuation of n_continue tokens (64), then logits at every position of prompt+continuation
// from both engines (teacher forcing: both see llama.cpp's tokens, so one early disagreement
// does not derail the rest). Metrics: mean KL(llama || other) over positions, with softmax in
// double; top-1 agreement counted only where llama's top-2 logit margin exceeds `margin`.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "peer/llama_peer.h"

namespace minnow::oracle {

struct ReferenceOptions {
  int n_prompt = 32;
  int n_continue = 64;
  peer::PeerOptions peer = default_peer_options();

  static peer::PeerOptions default_peer_options() {
    peer::PeerOptions p;
    p.n_ctx = 256;
    p.n_threads = 1;  // spinning worker threads crawl on an oversubscribed CI machine
    return p;
  }
};

struct Reference {
  int n_vocab = 0;
  std::vector<int32_t> prompt;        // exactly n_prompt tokens
  std::vector<int32_t> continuation;  // llama.cpp's greedy continuation, n_continue tokens
  std::vector<float> logits;          // llama.cpp, every position of tokens(): [n * n_vocab]

  std::vector<int32_t> tokens() const;  // prompt followed by continuation
};

// Tokenizes `text` with llama.cpp (BOS etc. as the model asks, special tokens not parsed) and
// fits it to exactly n_prompt tokens: longer is cut, shorter repeats the text's tokens.
std::vector<int32_t> fit_prompt(peer::LlamaPeer& llama, const std::string& text, int n_prompt);

Reference make_reference(peer::LlamaPeer& llama, const std::vector<int32_t>& prompt, int n_continue);
Reference make_reference(const std::string& gguf_path, const std::string& prompt_text,
                         const ReferenceOptions& opt = {});

// KL(p || q) of the softmax distributions of two logit rows, computed in double.
double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits);

struct Comparison {
  int n_positions = 0;
  double mean_kl = 0;      // mean over positions of KL(llama || other)
  double max_kl = 0;
  int max_kl_position = -1;
  int top1_checked = 0;    // positions where llama's top-2 margin > margin
  int top1_agree = 0;      // of those, where both engines' argmax agree
  std::vector<int> top1_disagreements;  // the positions that disagreed

  double top1_rate() const { return top1_checked ? double(top1_agree) / top1_checked : 1.0; }
  std::string summary() const;  // one line for test failure messages and reports
};

// Largest minus second-largest logit of one row.
double top2_margin(std::span<const float> row);

// Compares row-major [n_positions * n_vocab] logit arrays; throws minnow::Error on size mismatch.
Comparison compare_logits(std::span<const float> llama, std::span<const float> other, int n_vocab,
                          double margin = 0.1);

// Length of the common prefix of two token sequences (greedy agreement).
size_t matching_prefix(std::span<const int32_t> a, std::span<const int32_t> b);

// Minnow's logits for every position of `tokens` from a fresh sequence: [tokens.size() * n_vocab].
// THE single place Minnow plugs into the harness (defined in minnow_logits.cpp).
// llama_rounding: load with the kernel table that rounds as llama.cpp does (kernels::Rounding).
std::vector<float> minnow_logits(const std::string& gguf_path, const std::vector<int32_t>& tokens,
                                 bool llama_rounding = false);
// Minnow's free-running greedy continuation of `prompt` (n tokens, no stop at end tokens).
std::vector<int32_t> minnow_greedy(const std::string& gguf_path, const std::vector<int32_t>& prompt, int n,
                                   bool llama_rounding = false);

}  // namespace minnow::oracle
