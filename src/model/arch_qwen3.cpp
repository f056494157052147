// Qwen3 dense: neox rope, no biases, RMSNorm over each q and k head before rope.
#include "model/arch.h"

namespace minnow {

const ArchSpec& arch_qwen3() {
  static constexpr ArchSpec spec{Arch::Qwen3, "qwen3", true, false, true, 1000000.0f, 1e-6f};
  return spec;
}

}  // namespace minnow
