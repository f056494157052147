#include "tensor_types.h"

#include "quant/types.h"
#include "util/error.h"

namespace minnow::cli {

TensorTypeChooser make_tensor_type_chooser(const std::string& type, int n_layer) {
  const auto t = dtype_from_name(type);
  if (!t || !dtype_info(*t).weight_type) throw Error("unknown or unsupported type '" + type + "'");
  const DType chosen = *t;
  return [chosen](const std::string&, const std::vector<uint64_t>&) { return chosen; };
}

}  // namespace minnow::cli
