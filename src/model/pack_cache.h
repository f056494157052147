#pragma once
// On-disk cache of a model's repacked weights. Repacking at load costs a pass over the weights
// and fresh anonymous memory for all of them (the kernel zeroes every page first; in a VM each
// new page can also cost a trip to the host). A cache file that the page cache keeps warm turns
// the next load into a map of pages that are already there.
//
// One file per (source file identity, kernel table, packed layouts, matrix plan). It is written
// to a temporary name, synced, and renamed into place, and carries a checksum of its data. A
// stamp file beside it records the file's stat when its checksum last passed; a load verifies
// the checksum whenever there is no stamp or the stat differs (the file was written,
// truncated, replaced or copied since). It is only ever a copy: anything wrong with it (missing, short, stale,
// corrupt, unwritable directory, full disk) means packing again from the GGUF, never a failed
// load.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kernels/kernels.h"

namespace minnow {

class ThreadPool;

struct PackCacheOptions {
  std::string dir;                           // empty: no cache
  uint64_t max_bytes = uint64_t(8) << 30;    // beyond this, least recently used files go first
};

// One matrix of the plan: where its packed bytes sit in the packed data.
struct PackedMatrix {
  uint32_t type = 0;  // DType id
  int64_t rows = 0, cols = 0;
  uint64_t offset = 0, bytes = 0;
  int64_t panel_cols = 0;  // WeightView::panel_cols of the packed copy
};

// A cache file mapped read-only.
class CacheMapping {
 public:
  CacheMapping(uint8_t* base, size_t size) : base_(base), size_(size) {}
  ~CacheMapping();
  CacheMapping(const CacheMapping&) = delete;
  CacheMapping& operator=(const CacheMapping&) = delete;
  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }

 private:
  uint8_t* base_;
  size_t size_;
};

class PackCache {
 public:
  // source_identity: MappedFile::identity() of the GGUF; the plan lists every packed matrix in
  // order, with offsets into `total` bytes of packed data.
  PackCache(PackCacheOptions options, const std::string& source_identity, const kernels::KernelTable& kt,
            std::span<const PackedMatrix> plan, uint64_t total);

  // The cache file, mapped, when a valid one exists (data at data_offset()), else null and
  // status() says why. The checksum pass, where the stamp does not match, is split over `pool`
  // when given.
  std::unique_ptr<CacheMapping> open(ThreadPool* pool = nullptr);
  // Writes `data` (the plan's `total` bytes of packed data) as this key's cache file: under a
  // temporary name with its checksum and header, then renamed into place, and the directory
  // trimmed to max_bytes. Failures (full disk, unwritable directory) only set status().
  void store(const uint8_t* data, ThreadPool* pool = nullptr);

  const std::string& path() const { return path_; }
  // What happened, for the load report: "hit" (the stamp matched), "hit, data checked" (it did
  // not; the checksum did), "written", or why none of these.
  const std::string& status() const { return status_; }
  // Byte offset of the packed data inside a cache file.
  uint64_t data_offset() const { return data_offset_; }

 private:
  std::string header() const;
  void trim() const;
  void give_up(const std::string& why, const std::string& tmp_path);

  PackCacheOptions options_;
  std::string key_;
  std::span<const PackedMatrix> plan_;
  uint64_t total_ = 0;
  uint64_t data_offset_ = 0;
  std::string path_;
  std::string status_;
};

// Checksum of the packed data (64-bit, not cryptographic: it catches torn and damaged files).
// Defined over 16 MiB pieces, so that it can be split over `pool`; same value either way.
uint64_t pack_checksum(const uint8_t* p, size_t n, ThreadPool* pool = nullptr);

}  // namespace minnow
