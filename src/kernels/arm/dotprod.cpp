// The ARMv8.2 dot-product table (sdot: 4 int8 products summed into each int32 lane). Built
// with -march=armv8.2-a+dotprod; only used when the CPU reports asimddp.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

struct Isa {
  static constexpr bool kSdot = true;
  static constexpr bool kMmla = false;
  static int32x4_t dot16(int32x4_t acc, int8x16_t w, int8x16_t x) { return vdotq_s32(acc, w, x); }
};

}  // namespace
}  // namespace minnow::kernels::arm

#include "kernels/arm/arm_table.h"
#include "kernels/arm/arm_tables.h"

namespace minnow::kernels {

const KernelTable& dotprod_kernels() {
  static const KernelTable table = arm::make_table<arm::Isa>("dotprod");
  return table;
}

}  // namespace minnow::kernels
