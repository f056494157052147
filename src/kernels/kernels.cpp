// CPU feature detection and the choice of kernel tables.
#include "kernels/kernels.h"

#include <string>

#include "kernels/layout.h"
#include "kernels/tables.h"
#include "util/error.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#if defined(__aarch64__)
#include "kernels/arm/arm_tables.h"
#endif

namespace minnow::kernels {

#if defined(__x86_64__) || defined(_M_X64)

namespace {

// XCR0's tile state bits (17: XTILECFG, 18: XTILEDATA).
constexpr uint64_t kXcr0TileBits = (uint64_t(1) << 17) | (uint64_t(1) << 18);

// Linux hands out the 8 KiB of tile data per thread only to processes that ask
// (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); without leave a tile instruction
// faults. The leave is the process's for good; asking again is harmless.
bool request_tile_data() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return f;
  // The vendor string "AuthenticAMD" comes in ebx, edx, ecx.
  f.amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  const bool fma = (ecx >> 12) & 1;
  const bool f16c = (ecx >> 29) & 1;
  if (!osxsave || !avx) return f;
  // The OS must save the YMM (bits 1-2) and, for AVX-512, opmask/ZMM state (bits 5-7).
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
  if (!os_ymm) return f;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  f.avx2 = (ebx >> 5) & 1;
  f.fma = fma;
  f.f16c = f16c;
  if (os_zmm) {
    f.avx512f = (ebx >> 16) & 1;
    f.avx512bw = (ebx >> 30) & 1;
    f.avx512vl = (ebx >> 31) & 1;
    f.avx512vnni = (ecx >> 11) & 1;
  }
  const bool amx_tile = (edx >> 24) & 1, amx_int8 = (edx >> 25) & 1;
  const bool os_tiles = (xcr0 & kXcr0TileBits) == kXcr0TileBits;
  f.amx_int8 = amx_tile && amx_int8 && os_tiles && request_tile_data();
  const bool amx_bf16 = (edx >> 22) & 1;
  const bool avx512_bf16 = __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && ((eax >> 5) & 1);
  f.amx_bf16 = f.amx_int8 && amx_bf16 && avx512_bf16 && f.avx512f;
  return f;
}

#elif defined(__aarch64__) && defined(__linux__)

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  f.neon = (hw & HWCAP_ASIMD) != 0;
  f.dotprod = (hw & HWCAP_ASIMDDP) != 0;
  f.i8mm = (hw2 & HWCAP2_I8MM) != 0;
  return f;
}

#elif defined(__aarch64__) && defined(__APPLE__)

namespace {

bool sysctl_flag(const char* name) {
  int value = 0;
  size_t size = sizeof(value);
  return sysctlbyname(name, &value, &size, nullptr, 0) == 0 && value != 0;
}

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  f.neon = true;  // mandatory on arm64
  f.dotprod = sysctl_flag("hw.optional.arm.FEAT_DotProd");
  f.i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
  return f;
}

#else

CpuFeatures detect_cpu_features() { return CpuFeatures{}; }

#endif

std::vector<const KernelTable*> available_kernels(const CpuFeatures& cpu) {
  std::vector<const KernelTable*> tables{&reference_kernels()};
#if defined(__x86_64__) || defined(_M_X64)
  const bool avx2 = cpu.avx2 && cpu.fma && cpu.f16c;
  if (avx2) tables.push_back(&avx2_kernels());
  const bool avx512 = avx2 && cpu.avx512f && cpu.avx512bw && cpu.avx512vl;
  const bool prefetch = !cpu.amd;
  if (avx512) tables.push_back(&avx512_kernels(prefetch));
  if (avx512 && cpu.avx512vnni) tables.push_back(&avx512vnni_kernels(prefetch));
  if (avx512 && cpu.avx512vnni && cpu.amx_int8 && cpu.amx_bf16) tables.push_back(&amx_kernels(prefetch));
#elif defined(__aarch64__)
  if (cpu.neon) tables.push_back(&neon_kernels());
  if (cpu.neon && cpu.dotprod) tables.push_back(&dotprod_kernels());
  if (cpu.neon && cpu.dotprod && cpu.i8mm) tables.push_back(&i8mm_kernels());
#endif
  return tables;
}

std::vector<const KernelTable*> llama_rounding_kernels(const CpuFeatures& cpu) {
  std::vector<const KernelTable*> tables;
#if defined(__x86_64__) || defined(_M_X64)
  if (cpu.avx2 && cpu.fma && cpu.f16c) tables.push_back(&avx2_llama_kernels());
#else
  (void)cpu;
#endif
  return tables;
}

const KernelTable& best_kernels(const CpuFeatures& cpu, Rounding rounding) {
  if (rounding == Rounding::LlamaCpp) {
    const std::vector<const KernelTable*> llama = llama_rounding_kernels(cpu);
    if (!llama.empty()) return *llama.back();
  }
  return *available_kernels(cpu).back();
}

size_t act_row_bytes(DType act_type, int64_t k) {
  const auto n = size_t(k);
  switch (act_type) {
    case DType::F32: return n * sizeof(float);
    case DType::F16:
    case DType::BF16: return n * sizeof(uint16_t);
    case DType::Q8_0: return n / layout::kQK * sizeof(layout::Q8_0);
    case DType::Q8_1: return n / layout::kQK * sizeof(layout::Q8_1);
    case DType::Q8_K: return n / layout::kQKK * sizeof(layout::Q8_K);
    default: break;
  }
  throw Error("act_row_bytes: type id " + std::to_string(static_cast<uint32_t>(act_type)) +
              " is not an activation format");
}

}  // namespace minnow::kernels
