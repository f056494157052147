// minnow synth CONFIG OUT.gguf --vocab VOCAB.gguf [--type T] [--seed S]
#include <chrono>
#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"
#include "model/synth.h"
#include "quant/mix.h"
#include "util/thread_pool.h"
#include "util/error.h"

namespace minnow::cli {

int cmd_synth(int argc, char** argv) {
  Args args(argc, argv);
  const auto vocab = args.value({"--vocab"});
  const std::string type = args.value({"--type"}).value_or("f32");
  const auto seed = args.integer({"--seed"}, 0, INT64_MAX).value_or(42);
  const auto pos = args.positionals();
  if (pos.size() != 2 || !vocab) {
    std::string names;
    for (const auto& c : synth_configs()) names += (names.empty() ? "" : ", ") + std::string(c.name);
    throw Error("usage: minnow synth CONFIG OUT.gguf --vocab VOCAB.gguf [--type T] [--seed S]; configs: " + names);
  }
  const SynthConfig* cfg = find_synth_config(pos[0]);
  if (!cfg) throw Error("unknown synth config '" + pos[0] + "' (see minnow synth without arguments)");
  const auto mix = quant_mix_from_name(type);
  if (!mix) throw Error("unknown type '" + type + "' (plain types like q8_0, or mixes like Q4_K_M)");
  const auto t0 = std::chrono::steady_clock::now();
  write_synthetic_model(*cfg, *vocab, pos[1], *mix, uint64_t(seed), default_thread_count());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, %s) in %.1f s\n", pos[1].c_str(), pos[0].c_str(), type.c_str(), s);
  return 0;
}

}  // namespace minnow::cli
