// The int8 matrix-multiply table: for nb >= 2 the quantized types run 2x2 smmla tiles (each
// instruction does 2 weight rows x 2 activation rows x 8 elements, twice sdot's work); nb = 1
// (decode) uses the sdot tiles. Built with -march=armv8.2-a+dotprod+i8mm (not armv8.6-a,
// which would let the compiler use other 8.3-8.6 features a CPU with i8mm need not have);
// only used when the CPU reports both asimddp and i8mm.
#include "kernels/arm/arm_common.h"

namespace minnow::kernels::arm {
namespace {

struct Isa {
  static constexpr bool kSdot = true;
  static constexpr bool kMmla = true;
  static int32x4_t dot16(int32x4_t acc, int8x16_t w, int8x16_t x) { return vdotq_s32(acc, w, x); }
  static int32x4_t mmla(int32x4_t acc, int8x16_t w, int8x16_t x) { return vmmlaq_s32(acc, w, x); }
};

}  // namespace
}  // namespace minnow::kernels::arm

#include "kernels/arm/arm_table.h"
#include "kernels/arm/arm_tables.h"

namespace minnow::kernels {

const KernelTable& i8mm_kernels() {
  static const KernelTable table = arm::make_table<arm::Isa>("i8mm");
  return table;
}

}  // namespace minnow::kernels
