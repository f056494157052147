#pragma once
// A view of a 2-D weight matrix stored as GGUF rows: `rows` rows of `cols` elements each.
// For a GGUF tensor with dims {cols, rows}: y = W x maps cols inputs to rows outputs.
#include <cstddef>
#include <cstdint>

#include "quant/types.h"

namespace minnow {

struct WeightView {
  DType type = DType::F32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;

  explicit operator bool() const { return data != nullptr; }
  const uint8_t* row(int64_t r) const { return data + size_t(r) * row_bytes; }
};

}  // namespace minnow
