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
  // A packed view of long rows is stored as column panels (KernelTable::panel_cols): panel p
  // is columns [p * panel_cols, min(cols, (p + 1) * panel_cols)) of every row, packed as a
  // matrix of its own, the panels one after another. 0: one panel, the whole rows.
  int64_t panel_cols = 0;

  struct Panel {
    const uint8_t* data;  // rows x cols, packed
    int64_t col0, cols;
    size_t row_bytes;
  };

  explicit operator bool() const { return data != nullptr; }
  // Row r of a plain (not packed) view.
  const uint8_t* row(int64_t r) const { return data + size_t(r) * row_bytes; }

  int64_t panels() const { return panel_cols > 0 && cols > panel_cols ? (cols + panel_cols - 1) / panel_cols : 1; }
  Panel panel(int64_t p) const {
    if (panels() == 1) return {data, 0, cols, row_bytes};
    const int64_t c0 = p * panel_cols, n = cols - c0 < panel_cols ? cols - c0 : panel_cols;
    return {data + size_t(rows) * minnow::row_bytes(type, uint64_t(c0)), c0, n, minnow::row_bytes(type, uint64_t(n))};
  }
};

// Panel width for rows of `cols` columns split into panels of at most max_cols (0: no limit):
// as even as whole multiples of `align` columns allow, so that no panel is a thin remainder.
// 0 when one panel holds the rows.
inline int64_t panel_width(int64_t cols, int64_t max_cols, int64_t align) {
  if (max_cols <= 0 || cols <= max_cols) return 0;
  const int64_t n = (cols + max_cols - 1) / max_cols;
  const int64_t width = ((cols + n - 1) / n + align - 1) / align * align;
  return width < cols ? width : 0;
}

}  // namespace minnow
