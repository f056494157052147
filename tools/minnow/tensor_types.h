#pragma once
// Turns a --type argument (a plain type like "q8_0" or a mix like "Q4_K_M") into the
// per-tensor type choice used by synth and quantize.
#include <string>

#include "model/synth.h"

namespace minnow::cli {

TensorTypeChooser make_tensor_type_chooser(const std::string& type, int n_layer);

}  // namespace minnow::cli
