#pragma once
// The aarch64 kernel tables, each defined in a file built with its ISA's -march flags; call
// each only when detect_cpu_features() reports its features.
#include "kernels/kernels.h"

namespace minnow::kernels {

#if defined(__aarch64__)
const KernelTable& neon_kernels();     // baseline ARMv8 Advanced SIMD
const KernelTable& dotprod_kernels();  // needs asimddp (sdot)
const KernelTable& i8mm_kernels();     // needs asimddp and i8mm (smmla)
#endif

}  // namespace minnow::kernels
