#pragma once
// Per-ISA kernel tables, each defined in files built only for its target architecture.
#include "kernels/kernels.h"

namespace minnow::kernels {

#if defined(__x86_64__) || defined(_M_X64)
const KernelTable& avx2_kernels();        // needs AVX2 + FMA + F16C
const KernelTable& avx2_llama_kernels();  // the same, rounding as llama.cpp's AVX2 build
// AVX2's, with AVX-512 prefill tiles: needs AVX-512 F/BW/VL too. prefetch_weights: the
// table's KernelTable::prefetch_weights (the CPU's choice: CpuFeatures::amd).
const KernelTable& avx512_kernels(bool prefetch_weights);
const KernelTable& avx512vnni_kernels(bool prefetch_weights);  // the same through VNNI: needs AVX-512 VNNI too
const KernelTable& amx_kernels(bool prefetch_weights);  // VNNI's with AMX prefill tiles: needs AMX-INT8 too
#endif

}  // namespace minnow::kernels
