#pragma once
// Synthetic models for the model tests, made once per build folder and shared by the tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "model/synth.h"
#include "quant/mix.h"

namespace minnow {

inline const std::string kVocab = std::string(MINNOW_SHARED_DIR) + "/vocab/ggml-vocab-qwen2.gguf";

// Made once per build folder (ctest runs each test in a process of its own) and reused: the
// write goes to a per-process name first, so parallel tests never read a half-written file.
inline std::string make_model(const std::string& config, DType type) {
  const std::filesystem::path dir = std::filesystem::path(MINNOW_BINARY_DIR) / "test-models";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path =
      dir / ("modeltest-" + config + "-" + std::string(dtype_info(type).name) + ".gguf");
  if (std::filesystem::exists(path)) return path.string();
  const SynthConfig* cfg = find_synth_config(config);
  EXPECT_NE(cfg, nullptr);
  const auto mix = quant_mix_from_name(dtype_info(type).name);
  EXPECT_TRUE(mix.has_value());
  const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid());
  write_synthetic_model(*cfg, kVocab, tmp, *mix, 7, 2);
  std::filesystem::rename(tmp, path);
  return path.string();
}

}  // namespace minnow
