#include "model/pack_cache.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "quant/types.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace minnow {
namespace {

// File layout: kMagic, then four little-endian u64 (data offset, key length, data bytes,
// checksum), the key, a hole up to the data offset, the data. The data starts on a 2 MiB
// boundary of the file: the page cache holds a file written in large pieces in 2 MiB folios
// (on kernels with large folios), and a mapping whose addresses agree with the file's offsets
// modulo 2 MiB maps those folios as huge pages, where decode takes far fewer TLB misses.
constexpr std::string_view kMagic = "MNPKv002";
constexpr size_t kFixedHeader = 8 + 4 * 8;
constexpr uint64_t kHugePage = uint64_t(2) << 20;
constexpr std::string_view kSuffix = ".mnpk";
constexpr std::string_view kStampSuffix = ".ok";  // beside the cache file: "<name>.mnpk.ok"
constexpr int64_t kStaleTmpSeconds = 3600;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return h;
}

std::string hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[size_t(i)] = kDigits[v & 15];
  return s;
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(char(uint8_t(v >> (8 * i))));
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// What the packers of this table produce, as a number: each packed type's packer run on one
// fixed group. A layout change that forgot to say so still changes the key.
uint64_t layout_fingerprint(const kernels::KernelTable& kt) {
  constexpr int64_t kCols = 256;  // a whole block of every type, K-quants included
  std::string all;
  for (uint32_t id = 0; id < kt.types.size(); ++id) {
    const kernels::PackedKernels& pk = kt.types[id].packed;
    if (pk.rows == 0 || pk.pack == nullptr) continue;
    const size_t rb = row_bytes(static_cast<DType>(id), kCols);
    std::vector<uint8_t> src(rb * size_t(pk.rows)), dst(src.size());
    for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 131 + 7 + (i >> 8));
    pk.pack(src.data(), rb, kCols, dst.data());
    all += std::to_string(id) + ":" + std::to_string(pk.rows) + ":" + hex64(pack_checksum(dst.data(), dst.size())) + ";";
  }
  return fnv1a(all);
}

bool make_dirs(const std::string& dir) {
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at < dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool read_all(int fd, uint8_t* p, size_t n, uint64_t at) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, off_t(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
    at += uint64_t(r);
  }
  return true;
}

bool write_all(int fd, const uint8_t* p, size_t n, uint64_t at) {
  while (n > 0) {
    const ssize_t r = ::pwrite(fd, p, n, off_t(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = ENOSPC;
      return false;
    }
    p += r;
    n -= size_t(r);
    at += uint64_t(r);
  }
  return true;
}

// The whole file mapped read-only at an address on a 2 MiB boundary (see the layout above), or
// null with errno set.
uint8_t* map_huge_aligned(int fd, size_t size) {
  const size_t pages = (size + 4095) & ~size_t(4095);
  const size_t span = pages + kHugePage;
  void* reserved = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserved == MAP_FAILED) return nullptr;
  auto* lo = static_cast<uint8_t*>(reserved);
  auto* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(lo) + kHugePage - 1) & ~uintptr_t(kHugePage - 1));
  if (::mmap(base, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
    const int err = errno;
    ::munmap(lo, span);
    errno = err;
    return nullptr;
  }
  if (base > lo) ::munmap(lo, size_t(base - lo));
  if (lo + span > base + pages) ::munmap(base + pages, size_t(lo + span - (base + pages)));
  return base;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr size_t kPiece = size_t(16) << 20;  // the checksum's unit, and of the cache file's writes

uint64_t piece_checksum(const uint8_t* p, size_t n) {
  // Four independent multiply-xorshift lanes over 8-byte words: memory speed on one core.
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * size_t(l), 8);
      h[l] = (h[l] ^ w) * kMul;
      h[l] ^= h[l] >> 29;
    }
  uint64_t tail = 0;
  for (size_t k = i; k < n; ++k) tail = (tail << 8 | p[k]) * kMul;
  uint64_t out = uint64_t(n) * kMul ^ tail;
  for (const uint64_t v : h) out = (out ^ v) * kMul ^ (out >> 31);
  return out;
}

size_t piece_count(size_t n) { return (n + kPiece - 1) / kPiece; }
size_t piece_size(size_t n, size_t i) { return std::min(kPiece, n - i * kPiece); }

uint64_t combine(std::span<const uint64_t> pieces, size_t n) {
  uint64_t out = 0x9e3779b97f4a7c15ull ^ uint64_t(n);
  for (const uint64_t v : pieces) out = (out ^ v) * 0x100000001b3ull ^ (out >> 29);
  return out;
}

// fn(i) for every piece i of n bytes, over the pool when there is one.
template <class Fn>
void for_pieces(size_t n, ThreadPool* pool, Fn&& fn) {
  const auto run = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) fn(size_t(i));
  };
  if (pool != nullptr) pool->parallel_for(int64_t(piece_count(n)), 1, run);
  else run(0, int64_t(piece_count(n)));
}

// The verification stamp: the cache file's identity and times when its checksum last passed.
// A load that finds the file's stat as stamped skips the checksum pass, which reads every byte
// (about 0.13 s per GB at one thread, most of a warm load). Any write to the file through the
// file system, truncation, replacement or copy changes its inode, size, mtime or ctime, and
// ctime cannot be set back; damage below the file system (a failing disk) is not looked for,
// as for the GGUF itself. File times advance in clock ticks (or whole seconds on some file
// systems), so a change in the tick of the last one could leave ctime as it was: a file is
// only stamped once its ctime is kStampAgeSeconds old. The stamp's own mtime says when the
// cache file was last used (trim), so that using it does not touch the cache file's times.
constexpr int64_t kStampAgeSeconds = 2;
std::string stamp_path_of(const std::string& cache_path) { return cache_path + std::string(kStampSuffix); }

std::string stamp_of(const struct stat& st) {
  return std::to_string(uint64_t(st.st_dev)) + " " + std::to_string(uint64_t(st.st_ino)) + " " +
         std::to_string(int64_t(st.st_size)) + " " + std::to_string(int64_t(st.st_mtim.tv_sec)) + "." +
         std::to_string(int64_t(st.st_mtim.tv_nsec)) + " " + std::to_string(int64_t(st.st_ctim.tv_sec)) + "." +
         std::to_string(int64_t(st.st_ctim.tv_nsec)) + "\n";
}

bool stamp_matches(const std::string& stamp_path, const struct stat& st) {
  const int fd = ::open(stamp_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string want = stamp_of(st);
  std::string got(want.size() + 1, '\0');
  const ssize_t n = ::pread(fd, got.data(), got.size(), 0);
  ::close(fd);
  return n == ssize_t(want.size()) && got.compare(0, want.size(), want) == 0;
}

// Best effort: without a stamp the next load verifies the checksum, nothing worse.
void write_stamp(const std::string& stamp_path, const struct stat& st) {
  const std::string tmp = stamp_path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string text = stamp_of(st);
  const bool ok = write_all(fd, reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
  if (::close(fd) == 0 && ok && ::rename(tmp.c_str(), stamp_path.c_str()) == 0) return;
  ::unlink(tmp.c_str());
}

bool old_enough_to_stamp(const struct stat& st) {
  timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) - int64_t(st.st_ctim.tv_sec) > kStampAgeSeconds;
}

}  // namespace

uint64_t pack_checksum(const uint8_t* p, size_t n, ThreadPool* pool) {
  std::vector<uint64_t> sums(piece_count(n));
  for_pieces(n, pool, [&](size_t i) { sums[i] = piece_checksum(p + i * kPiece, piece_size(n, i)); });
  return combine(sums, n);
}

PackCache::PackCache(PackCacheOptions options, const std::string& source_identity, const kernels::KernelTable& kt,
                     std::span<const PackedMatrix> plan, uint64_t total)
    : options_(std::move(options)), plan_(plan), total_(total) {
  key_ = "minnow packed weights\nsource " + source_identity + "\nisa " + std::string(kt.isa) + "\nlayouts " +
         hex64(layout_fingerprint(kt)) + "\nplan";
  for (const PackedMatrix& m : plan)
    key_ += " " + std::to_string(m.type) + "/" + std::to_string(m.rows) + "x" + std::to_string(m.cols) + "@" +
            std::to_string(m.offset) + "+" + std::to_string(m.bytes) + "|" + std::to_string(m.panel_cols);
  key_ += "\ntotal " + std::to_string(total) + "\n";
  data_offset_ = (kFixedHeader + key_.size() + kHugePage - 1) / kHugePage * kHugePage;
  if (!options_.dir.empty()) path_ = options_.dir + "/" + hex64(fnv1a(key_)) + std::string(kSuffix);
  status_ = options_.dir.empty() ? "off" : "miss";
}

std::string PackCache::header() const {
  std::string h(kMagic);
  put_u64(h, data_offset_);
  put_u64(h, key_.size());
  put_u64(h, total_);
  return h;  // the checksum and the key follow (see store)
}

CacheMapping::~CacheMapping() {
  if (base_ != nullptr) ::munmap(base_, size_);
}

std::unique_ptr<CacheMapping> PackCache::open(ThreadPool* pool) {
  if (path_.empty()) return nullptr;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;  // the usual miss: no file yet
  std::vector<uint8_t> head(kFixedHeader + key_.size());
  struct stat st {};
  const bool readable = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_all(fd, head.data(), head.size(), 0);
  const std::string expect = header();
  if (!readable || std::memcmp(head.data(), expect.data(), expect.size()) != 0 ||
      std::memcmp(head.data() + kFixedHeader, key_.data(), key_.size()) != 0 ||
      uint64_t(st.st_size) != data_offset_ + total_) {
    ::close(fd);
    status_ = "stale or damaged cache file, packing again";
    return nullptr;
  }
  const size_t size = size_t(st.st_size);
  uint8_t* p = map_huge_aligned(fd, size);
  ::close(fd);
  if (p == nullptr) {
    status_ = std::string("cache file cannot be mapped (") + std::strerror(errno) + "), packing again";
    return nullptr;
  }
#ifdef MADV_HUGEPAGE
  ::madvise(p, size, MADV_HUGEPAGE);  // a hint: when the file is read again, in 2 MiB folios
#endif
  auto map = std::make_unique<CacheMapping>(p, size);
  const std::string stamp_path = stamp_path_of(path_);
  const bool stamped = stamp_matches(stamp_path, st);
  if (!stamped && pack_checksum(map->base() + data_offset_, total_, pool) != get_u64(head.data() + expect.size())) {
    status_ = "cache file fails its checksum, packing again";
    return nullptr;
  }
  // Stamped anew (or for the first time): recently used, trimmed last. A file too new to
  // stamp was just written, so its own mtime says as much; touching it would delay the stamp.
  if (old_enough_to_stamp(st)) write_stamp(stamp_path, st);
  status_ = stamped ? "hit" : "hit, data checked";
  return map;
}

void PackCache::give_up(const std::string& why, const std::string& tmp_path) {
  status_ = "not written: " + why;
  if (!tmp_path.empty()) ::unlink(tmp_path.c_str());
}

void PackCache::store(const uint8_t* data, ThreadPool* pool) {
  if (path_.empty()) return;
  if (total_ + data_offset_ > options_.max_bytes) {
    give_up("larger than the cache's limit", {});
    return;
  }
  if (!make_dirs(options_.dir)) {
    give_up("cannot create " + options_.dir + ": " + std::strerror(errno), {});
    return;
  }
  const std::string tmp_path = path_ + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    give_up("cannot create a file in " + options_.dir + ": " + std::strerror(errno), {});
    return;
  }
  std::vector<uint64_t> sums(piece_count(size_t(total_)));
  std::atomic<int> write_error{0};
  for_pieces(size_t(total_), pool, [&](size_t i) {
    const size_t n = piece_size(size_t(total_), i);
    sums[i] = piece_checksum(data + i * kPiece, n);
    if (write_error.load(std::memory_order_relaxed) == 0 && !write_all(fd, data + i * kPiece, n, data_offset_ + i * kPiece))
      write_error.store(errno != 0 ? errno : EIO);
  });
  std::string head = header();
  put_u64(head, combine(sums, size_t(total_)));
  head += key_;
  if (write_error.load() == 0 && !write_all(fd, reinterpret_cast<const uint8_t*>(head.data()), head.size(), 0))
    write_error.store(errno != 0 ? errno : EIO);
  // On disk before the name appears, so that a stamp never vouches for data a crash lost.
  if (write_error.load() == 0 && ::fdatasync(fd) != 0) write_error.store(errno);
  if (::close(fd) != 0 && write_error.load() == 0) write_error.store(errno);
  if (const int err = write_error.load(); err != 0) {
    give_up(std::strerror(err), tmp_path);
    return;
  }
  // Renamed only once complete, so a reader sees either no file or a whole one; what a crash
  // of the machine could still leave half-written on disk, the checksum catches.
  if (::rename(tmp_path.c_str(), path_.c_str()) != 0) {
    give_up(std::string("cannot rename: ") + std::strerror(errno), tmp_path);
    return;
  }
  status_ = "written";
  trim();
}

void PackCache::trim() const {
  DIR* d = ::opendir(options_.dir.c_str());
  if (d == nullptr) return;
  struct Entry {
    std::string path;
    int64_t mtime;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  const int64_t now = int64_t(::time(nullptr));
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::string full = options_.dir + "/" + name;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (name.find(std::string(kSuffix)) != std::string::npos && name.find(".tmp.") != std::string::npos) {
      if (now - int64_t(st.st_mtim.tv_sec) > kStaleTmpSeconds) ::unlink(full.c_str());  // a killed writer's
      continue;
    }
    if (ends_with(name, stamp_path_of(std::string(kSuffix)))) {
      struct stat cache {};  // a stamp outlives its cache file only if a trim was cut short
      if (::stat(full.substr(0, full.size() - kStampSuffix.size()).c_str(), &cache) != 0) ::unlink(full.c_str());
      continue;
    }
    if (!ends_with(name, kSuffix)) continue;
    int64_t used_at = int64_t(st.st_mtim.tv_sec);
    if (struct stat stamp {}; ::stat(stamp_path_of(full).c_str(), &stamp) == 0)
      used_at = std::max(used_at, int64_t(stamp.st_mtim.tv_sec));
    entries.push_back({full, used_at, uint64_t(st.st_size)});
  }
  ::closedir(d);
  uint64_t used = 0;
  for (const Entry& e : entries) used += e.bytes;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.mtime < b.mtime; });
  for (const Entry& e : entries) {
    if (used <= options_.max_bytes) break;
    if (e.path == path_) continue;
    if (::unlink(e.path.c_str()) == 0) used -= e.bytes;
    ::unlink(stamp_path_of(e.path).c_str());
  }
}

}  // namespace minnow
