#include "util/anon_buffer.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <utility>

#include "util/error.h"

namespace minnow {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
}  // namespace

AnonBuffer::AnonBuffer(size_t size, Pages pages) : size_(size) {
  if (size == 0) return;
  // Large buffers start on a 2 MiB boundary (map a little more, unmap the ends) so that every
  // whole 2 MiB of them can be a transparent huge page. On this class of VM, faulting in fresh
  // memory costs far more per 4 KiB page than per huge page, and repacked weights are most of
  // a load's new memory.
  const bool huge = pages == Pages::Huge && size >= kHugePage;
  const size_t whole_pages = (size + 4095) & ~size_t(4095);
  const size_t span = huge ? whole_pages + kHugePage : size;
  void* p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Error("cannot allocate " + std::to_string(size >> 20) + " MiB: " + std::strerror(errno));
  auto* base = static_cast<uint8_t*>(p);
  if (huge) {
    const uintptr_t at = reinterpret_cast<uintptr_t>(base);
    const size_t head = ((at + kHugePage - 1) & ~(kHugePage - 1)) - at;
    if (head > 0) ::munmap(base, head);
    if (span - head - whole_pages > 0) ::munmap(base + head + whole_pages, span - head - whole_pages);
    base += head;
#ifdef MADV_HUGEPAGE
    ::madvise(base, size, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  }
  data_ = base;
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
