// minnow run MODEL.gguf -p PROMPT [-n N] [--temp T] [--seed S] [-t THREADS] [-c CTX]
// The generated text alone goes to stdout; load time and speeds go to stderr.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "args.h"
#include "commands.h"
#include "engine.h"
#include "repl.h"
#include "runtime/generate.h"
#include "util/error.h"

namespace minnow::cli {

int cmd_run(int argc, char** argv) {
  Args args(argc, argv);
  const auto prompt = args.value({"-p", "--prompt"});
  const auto n_predict = args.integer({"-n", "--n-predict"}, -1, 1 << 24).value_or(-1);
  SamplerParams sp;
  sp.temperature = float(args.number({"--temp"}).value_or(sp.temperature));
  sp.top_k = int(args.integer({"--top-k"}, 0, 1 << 24).value_or(sp.top_k));
  sp.top_p = float(args.number({"--top-p"}).value_or(sp.top_p));
  sp.min_p = float(args.number({"--min-p"}).value_or(sp.min_p));
  sp.repeat_penalty = float(args.number({"--repeat-penalty"}).value_or(sp.repeat_penalty));
  sp.presence_penalty = float(args.number({"--presence-penalty"}).value_or(sp.presence_penalty));
  sp.frequency_penalty = float(args.number({"--frequency-penalty"}).value_or(sp.frequency_penalty));
  sp.penalty_last_n = int(args.integer({"--repeat-last-n"}, -1, 1 << 24).value_or(sp.penalty_last_n));
  sp.seed = uint64_t(args.integer({"--seed", "-s"}, 0, INT64_MAX).value_or(int64_t(std::random_device{}())));
  EngineOptions eo;
  eo.n_threads = int(args.integer({"-t", "--threads"}, 1, 1024).value_or(0));
  eo.n_ctx = int(args.integer({"-c", "--ctx-size"}, 1, 1 << 24).value_or(4096));
  eo.n_batch = int(args.integer({"-b", "--batch"}, 1, 1 << 16).value_or(0));
  if (args.flag({"--no-pack-cache"})) eo.pack_cache.dir.clear();
  if (const auto r = args.value({"--rounding"})) eo.rounding = parse_rounding(*r);
  const bool raw = args.flag({"--raw"});  // prompt text without BOS/special handling
  const auto pos = args.positionals();
  if (pos.size() != 1) throw Error("usage: minnow run MODEL.gguf [-p PROMPT] [-n N] [--temp T] [--seed S] [-t THREADS] [-c CTX] [--no-pack-cache] [--rounding fast|llama.cpp]");
  const bool hide_thinking = args.flag({"--hide-thinking"});
  if (!prompt) {
    Engine engine(pos[0], eo);
    return run_repl(engine, sp, ReplOptions{int(n_predict), hide_thinking});
  }

  Engine engine(pos[0], eo);
  const auto tokens = engine.tokenizer().encode(*prompt, !raw, !raw);
  Sampler sampler(sp);
  GenerateOptions go;
  go.n_predict = int(n_predict);
  const GenerateStats st = generate(engine.session(), engine.tokenizer(), sampler, tokens, go,
                                    [](std::string_view text) {
                                      std::fwrite(text.data(), 1, text.size(), stdout);
                                      std::fflush(stdout);
                                      return true;
                                    });
  std::fprintf(stderr, "\nload: %.2f s | prefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | %s%s, %d threads\n",
               engine.load_seconds(), st.n_prefilled, st.prefill_s > 0 ? st.n_prefilled / st.prefill_s : 0.0,
               st.n_generated, st.decode_s > 0 ? st.n_generated / st.decode_s : 0.0,
               std::string(engine.kernels().isa).c_str(),
               engine.kernels().rounding == "fast" ? "" : " (rounding as llama.cpp)", engine.n_threads());
  if (const std::string pr = engine.pack_report(); !pr.empty()) std::fprintf(stderr, "%s\n", pr.c_str());
  if (st.stopped_ctx) std::fprintf(stderr, "stopped: the context (%d tokens) is full\n", eo.n_ctx);
  return 0;
}

}  // namespace minnow::cli
