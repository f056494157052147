#pragma once
// What an op needs to run: the kernel table for this CPU and the threads to run it on.
#include "kernels/kernels.h"
#include "util/thread_pool.h"

namespace minnow {

struct ExecContext {
  const kernels::KernelTable& kernels;
  ThreadPool& pool;
};

}  // namespace minnow
