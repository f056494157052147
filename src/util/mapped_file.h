#pragma once
// Read-only memory map of a whole file (RAII). Weights are used in place from the map.
#include <cstddef>
#include <cstdint>
#include <string>

namespace minnow {

class MappedFile {
 public:
  // Throws minnow::Error with the path and errno text when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Device, inode, size and modification time of the file that was mapped, as one string:
  // what a cache derived from this file's bytes is keyed on (the same file descriptor as the map).
  const std::string& identity() const { return identity_; }

  // Tells the kernel this process is done with [p, p + n) for now: the whole pages inside it
  // leave the resident set (the page cache keeps them; a later read maps them again).
  void drop_pages(const uint8_t* p, size_t n) const;

 private:
  void release();
  std::string path_;
  std::string identity_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace minnow
