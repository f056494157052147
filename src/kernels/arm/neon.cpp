// The baseline ARMv8 NEON table: int8 dots as widening multiplies (smull) folded pairwise
// into int32 (sadalp). Built without extra -march flags: every aarch64 CPU runs it.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

struct Isa {
  static constexpr bool kSdot = false;
  static constexpr bool kMmla = false;
  // int16 products are at most 128 * 127 (activations never reach -128), so each is widened
  // into int32 right away; no int16 sums of two that could overflow.
  static int32x4_t dot16(int32x4_t acc, int8x16_t w, int8x16_t x) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(x)));
    return vpadalq_s16(acc, vmull_high_s8(w, x));
  }
};

}  // namespace
}  // namespace minnow::kernels::arm

#include "kernels/arm/arm_table.h"
#include "kernels/arm/arm_tables.h"

namespace minnow::kernels {

const KernelTable& neon_kernels() {
  static const KernelTable table = arm::make_table<arm::Isa>("neon");
  return table;
}

}  // namespace minnow::kernels
