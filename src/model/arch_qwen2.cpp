// Qwen2/2.5 and DeepSeek-R1-Distill-Qwen: neox rope, biases on q/k/v.
#include "model/arch.h"

namespace minnow {

const ArchSpec& arch_qwen2() {
  static constexpr ArchSpec spec{Arch::Qwen2, "qwen2", true, true, false, 1000000.0f, 1e-6f};
  return spec;
}

}  // namespace minnow
