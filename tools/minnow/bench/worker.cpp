#include "bench/worker.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "engine.h"
#include "runtime/sampler.h"
#include "util/error.h"
#ifdef MINNOW_HAVE_PEER
#include "peer/llama_peer.h"
#endif

namespace minnow::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

WorkerResult run_minnow(const WorkerOptions& w) {
  WorkerResult r;
  const auto t_load = Clock::now();
  EngineOptions eo;
  eo.n_threads = w.n_threads;
  eo.n_ctx = w.n_ctx;
  if (w.n_batch > 0) eo.n_batch = w.n_batch;
  if (!w.pack_cache) eo.pack_cache.dir.clear();
  eo.rounding = parse_rounding(w.rounding);
  Engine engine(w.model_path, eo);
  r.load_s = seconds_since(t_load);
  r.n_vocab = engine.model().hparams().n_vocab;
  r.n_threads = engine.n_threads();
  const auto prompt = bench_prompt(r.n_vocab, w.n_prompt > 0 ? w.n_prompt : 1, w.seed);

  Session& session = engine.session();
  const auto t_prefill = Clock::now();
  auto logits = session.eval(prompt);
  int32_t next = argmax(logits);
  r.prefill_s = seconds_since(t_prefill);
  r.first_token_mono_s = monotonic_seconds();
  r.first_token = next;

  const auto t_decode = Clock::now();
  for (int i = 0; i < w.n_gen; ++i) {
    logits = session.eval(std::span<const int32_t>(&next, 1));
    next = argmax(logits);
  }
  r.decode_s = seconds_since(t_decode);
  r.n_prompt = int(prompt.size());
  r.n_gen = w.n_gen;
  return r;
}

WorkerResult run_llama(const WorkerOptions& w) {
#ifdef MINNOW_HAVE_PEER
  WorkerResult r;
  const auto t_load = Clock::now();
  peer::PeerOptions po;
  po.n_ctx = uint32_t(w.n_ctx);
  // llama.cpp's own default batch (llama-bench uses the same), bounded by the context.
  po.n_batch = uint32_t(std::min(512, w.n_ctx));
  po.n_threads = w.n_threads;
  po.flash_attn = w.peer_fa == "on" ? peer::FlashAttn::On
                  : w.peer_fa == "off" ? peer::FlashAttn::Off : peer::FlashAttn::Auto;
  const auto llama = peer::LlamaPeer::load(w.model_path, po);
  r.load_s = seconds_since(t_load);
  r.n_vocab = llama->n_vocab();
  r.n_threads = llama->n_threads();
  const auto prompt = bench_prompt(r.n_vocab, w.n_prompt > 0 ? w.n_prompt : 1, w.seed);

  r.prefill_s = llama->prefill(prompt);
  // The first token is the argmax of logits prefill() already holds: known now.
  r.first_token_mono_s = monotonic_seconds();
  r.decode_s = w.n_gen > 0 ? llama->decode(w.n_gen) : 0.0;
  if (!llama->decoded().empty()) r.first_token = llama->decoded().front();
  r.n_prompt = int(prompt.size());
  r.n_gen = w.n_gen;
  return r;
#else
  (void)w;
  throw Error("this minnow was built without the llama.cpp peer");
#endif
}

}  // namespace

std::vector<int32_t> bench_prompt(int n_vocab, int n, uint64_t seed) {
  if (n_vocab <= 0) throw Error("bench: the model has an empty vocabulary");
  std::vector<int32_t> out(size_t(n > 0 ? n : 0));
  uint64_t state = seed;
  for (auto& t : out) t = int32_t(splitmix64(state) % uint64_t(n_vocab));
  return out;
}

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

WorkerResult run_worker(const WorkerOptions& w) {
  WorkerResult r = w.engine == kEngineLlama ? run_llama(w) : run_minnow(w);
  r.engine = w.engine;
  return r;
}

std::string to_json_line(const WorkerResult& r) {
  nlohmann::json j;
  j["engine"] = r.engine;
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j.dump();
  }
  j["n_prompt"] = r.n_prompt;
  j["n_gen"] = r.n_gen;
  j["threads"] = r.n_threads;
  j["n_vocab"] = r.n_vocab;
  j["load_s"] = r.load_s;
  j["prefill_s"] = r.prefill_s;
  j["decode_s"] = r.decode_s;
  j["first_token_mono_s"] = r.first_token_mono_s;
  j["first_token"] = r.first_token;
  return j.dump();
}

WorkerResult from_json_line(const std::string& line) {
  WorkerResult r;
  try {
    const auto j = nlohmann::json::parse(line);
    r.engine = j.at("engine").get<std::string>();
    if (j.contains("error")) {
      r.error = j.at("error").get<std::string>();
      return r;
    }
    r.n_prompt = j.at("n_prompt").get<int>();
    r.n_gen = j.at("n_gen").get<int>();
    r.n_threads = j.at("threads").get<int>();
    r.n_vocab = j.at("n_vocab").get<int>();
    r.load_s = j.at("load_s").get<double>();
    r.prefill_s = j.at("prefill_s").get<double>();
    r.decode_s = j.at("decode_s").get<double>();
    r.first_token_mono_s = j.at("first_token_mono_s").get<double>();
    r.first_token = j.at("first_token").get<int32_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("bench: malformed worker result (") + e.what() + ")");
  }
  return r;
}

}  // namespace minnow::cli::bench
