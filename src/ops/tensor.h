#pragma once
// A view of a 2-D weight matrix stored as GGUF rows: `rows` rows of `cols` elements each.
// For a GGUF tensor with dims {cols, rows}: y = W x maps cols inputs to rows outputs.
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "quant/types.h"

namespace minnow {

struct WeightView {
  DType type = DType::F32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  // Set when the rows are repacked for this CPU (groups of packed->rows rows interleaved, see
  // kernels/packed.h): data then points at the packed copy and only these kernels read it.
  const kernels::PackedKernels* packed = nullptr;

  explicit operator bool() const { return data != nullptr; }
  // Row r of a plain (not packed) view.
  const uint8_t* row(int64_t r) const { return data + size_t(r) * row_bytes; }
};

}  // namespace minnow
