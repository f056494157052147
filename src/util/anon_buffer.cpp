#include "util/anon_buffer.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <utility>

#include "util/error.h"

namespace minnow {

AnonBuffer::AnonBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Error("cannot allocate " + std::to_string(size >> 20) + " MiB: " + std::strerror(errno));
#ifdef MADV_HUGEPAGE
  if (size >= (size_t(2) << 20)) ::madvise(p, size, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  data_ = static_cast<uint8_t*>(p);
}

AnonBuffer::~AnonBuffer() { release(); }

AnonBuffer::AnonBuffer(AnonBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AnonBuffer& AnonBuffer::operator=(AnonBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void AnonBuffer::release() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace minnow
