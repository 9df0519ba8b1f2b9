#include "net/memory_budget.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace sfs::net {
namespace {

// From this size on a buffer is mapped pages of its own: malloc keeps what
// is freed for reuse (resident), munmap gives it back to the system.
constexpr std::size_t kMapBytes = std::size_t{128} * 1024;

// Mappings are whole multiples of this, so that buffers of nearly the same
// size (a frame plus its header, a read sized by what is queued) share them.
constexpr std::size_t kMapGrain = std::size_t{64} * 1024;
// What the cache of freed mappings may hold in all, and in how many: a few
// transfers' buffers. It stays resident, so it counts against what 100
// stalled clients may make the server hold (test_slow_upload_memory: under
// 64 MiB; with 32 MiB cached, 100 stalled downloads reached 66 MiB).
constexpr std::size_t kCachedBytes = std::size_t{8} << 20;
constexpr std::size_t kCachedMappings = 8;

std::size_t mapped_size(std::size_t bytes) {
  return (bytes + kMapGrain - 1) / kMapGrain * kMapGrain;
}

// The mappings freed last, handed out again before new ones are made. A
// transfer gives its buffers back whenever its socket has nothing to read
// or no room to write (so a stalled client holds none) and takes them again
// a moment later; on a fast link that happens thousands of times per GiB,
// and each time a fresh mapping costs an mmap, an munmap and a page fault
// and zeroing per 4 KiB touched (on a VM also the host's first touch).
// Bounded in bytes and count; a mapping is reused for a request of its own
// size (in grains), so it is unmapped with the length it was made with.
class MappingCache {
 public:
  char* take(std::size_t bytes) {
    const std::lock_guard lock(mutex_);
    for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
      if (it->bytes == bytes) {
        char* data = it->data;
        held_ -= it->bytes;
        free_.erase(std::next(it).base());
        return data;
      }
    }
    return nullptr;
  }

  bool keep(char* data, std::size_t bytes) {
    const std::lock_guard lock(mutex_);
    if (free_.size() >= kCachedMappings || held_ + bytes > kCachedBytes) {
      return false;
    }
    free_.push_back({data, bytes});
    held_ += bytes;
    return true;
  }

 private:
  struct Mapping {
    char* data;
    std::size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Mapping> free_;
  std::size_t held_ = 0;
};

// Never destroyed: buffers may be freed by static objects' destructors.
MappingCache& mapping_cache() {
  static auto* cache = new MappingCache;
  return *cache;
}

char* allocate(std::size_t bytes) {
  if (bytes == 0) {
    return nullptr;
  }
  if (bytes < kMapBytes) {
    return new char[bytes];  // without (): not zero-filled
  }
  const std::size_t mapped = mapped_size(bytes);
  if (char* reused = mapping_cache().take(mapped)) {
    return reused;
  }
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw std::bad_alloc();  // as new would
  }
  return static_cast<char*>(p);
}

void deallocate(char* data, std::size_t bytes) {
  if (data == nullptr) {
    return;
  }
  if (bytes < kMapBytes) {
    delete[] data;
    return;
  }
  const std::size_t mapped = mapped_size(bytes);
  if (!mapping_cache().keep(data, mapped) && ::munmap(data, mapped) != 0) {
    std::abort();  // our own mapping: cannot fail
  }
}

// A mapped buffer that grows or shrinks and stays mapped is remapped: its
// pages move to the new range with their contents (page tables, not bytes),
// so growing neither copies what it holds nor touches fresh pages for it.
// Copying did both: at every doubling of a transfer's receive buffer (16 KiB
// up to 1 MiB) the kept bytes were written into fresh pages, nearly half of
// the server's page faults with 100 clients (bench/notes.md, stop 35).
char* remap(char* data, std::size_t from_bytes, std::size_t to_bytes) {
  const std::size_t from = mapped_size(from_bytes);
  const std::size_t to = mapped_size(to_bytes);
  if (from == to) {
    return data;
  }
  void* p = ::mremap(data, from, to, MREMAP_MAYMOVE);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

}  // namespace

Buffer::Buffer(Buffer&& other) noexcept
    : budget_(other.budget_),
      free_bytes_(other.free_bytes_),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    free_bytes_ = other.free_bytes_;
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

bool Buffer::grow(std::size_t min_bytes, std::size_t want_bytes, std::size_t keep) {
  want_bytes = std::max(want_bytes, min_bytes);
  for (const std::size_t bytes : {want_bytes, min_bytes}) {
    if (capacity_ >= bytes) {
      return true;
    }
    if (budget_ == nullptr || budget_->try_take(charge(bytes) - charge(capacity_))) {
      reallocate(bytes, keep);
      return true;
    }
  }
  return false;
}

void Buffer::shrink(std::size_t keep) {
  if (keep >= capacity_) {
    return;
  }
  const std::size_t freed = charge(capacity_) - charge(keep);
  reallocate(keep, keep);
  if (budget_ != nullptr) {
    budget_->give_back(freed);
  }
}

void Buffer::release() {
  if (budget_ != nullptr) {
    budget_->give_back(charge(capacity_));
  }
  deallocate(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

void Buffer::reallocate(std::size_t bytes, std::size_t keep) {
  if (capacity_ >= kMapBytes && bytes >= kMapBytes) {
    if (char* moved = remap(data_, capacity_, bytes)) {
      data_ = moved;
      capacity_ = bytes;
      return;
    }
  }
  char* fresh = allocate(bytes);
  keep = std::min({keep, capacity_, bytes});
  if (keep > 0) {
    std::memcpy(fresh, data_, keep);
  }
  deallocate(data_, capacity_);
  data_ = fresh;
  capacity_ = bytes;
}

}  // namespace sfs::net
