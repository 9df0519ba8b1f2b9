#include "net/memory_budget.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace sfs::net {
namespace {

// From this size on a buffer is mapped pages of its own: malloc keeps what
// is freed for reuse (resident), munmap gives it back to the system.
constexpr std::size_t kMapBytes = std::size_t{128} * 1024;

char* allocate(std::size_t bytes) {
  if (bytes == 0) {
    return nullptr;
  }
  if (bytes < kMapBytes) {
    return new char[bytes];  // without (): not zero-filled
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
  } else if (::munmap(data, bytes) != 0) {
    std::abort();  // our own mapping: cannot fail
  }
}

}  // namespace

bool MemoryBudget::try_take(std::size_t bytes) {
  std::size_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || used > limit_ - bytes) {
      return false;
    }
  } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

void MemoryBudget::give_back(std::size_t bytes) {
  const std::size_t before = in_use_.fetch_sub(bytes, std::memory_order_relaxed);
  if (before < bytes) {
    std::abort();  // more given back than taken: a broken invariant
  }
}

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
