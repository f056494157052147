#pragma once
// Page-aligned anonymous memory (RAII), for data the process builds itself, such as weights
// repacked at load. Large buffers get transparent huge pages where the kernel allows them:
// fewer TLB misses when decode streams through them.
#include <cstddef>
#include <cstdint>

namespace minnow {

class AnonBuffer {
 public:
  AnonBuffer() = default;
  // Huge: large buffers aligned and advised for transparent huge pages (below). Small: 4 KiB
  // pages, each mapped (zeroed) on first touch, for memory used from the front as it fills.
  enum class Pages { Huge, Small };
  // Zero-filled. Throws minnow::Error when the memory cannot be mapped.
  explicit AnonBuffer(size_t size, Pages pages = Pages::Huge);
  ~AnonBuffer();
  AnonBuffer(const AnonBuffer&) = delete;
  AnonBuffer& operator=(const AnonBuffer&) = delete;
  AnonBuffer(AnonBuffer&& other) noexcept;
  AnonBuffer& operator=(AnonBuffer&& other) noexcept;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace minnow
