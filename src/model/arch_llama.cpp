// Llama 2/3/3.2, TinyLlama, Mistral-style: GQA, adjacent-pair rope (the GGUF converter permutes
// q/k rows for it), optional rope_freqs for Llama 3 long-context scaling, no biases.
#include "model/arch.h"

namespace minnow {

const ArchSpec& arch_llama() {
  static constexpr ArchSpec spec{Arch::Llama, "llama", false, false, false, 10000.0f, 1e-5f};
  return spec;
}

std::optional<ArchSpec> arch_from_gguf_name(std::string_view name) {
  for (const ArchSpec* s : {&arch_llama(), &arch_qwen2(), &arch_qwen3()})
    if (s->gguf_name == name) return *s;
  return std::nullopt;
}

}  // namespace minnow
