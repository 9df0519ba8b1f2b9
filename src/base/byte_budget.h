#pragma once
// A count of bytes under a limit, shared by whatever draws from it: the
// server's transfer buffers (net::MemoryBudget), the S3 backend's blocks
// read ahead and parts on their way. Thread-safe; never blocks.
//
//   ByteBudget budget(256 << 20);
//   if (budget.try_take(n)) { ...hold n bytes...; budget.give_back(n); }
//   else { ...work without them: smaller, or one at a time... }

#include <atomic>
#include <cstddef>
#include <cstdlib>

namespace sfs {

class ByteBudget {
 public:
  explicit ByteBudget(std::size_t limit_bytes) : limit_(limit_bytes) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Takes `bytes` when they fit under the limit with everything taken so
  // far; otherwise takes nothing and returns false.
  bool try_take(std::size_t bytes) {
    std::size_t used = in_use_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) {
        return false;
      }
    } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  // Gives back bytes taken before.
  void give_back(std::size_t bytes) {
    const std::size_t before = in_use_.fetch_sub(bytes, std::memory_order_relaxed);
    if (before < bytes) {
      std::abort();  // more given back than taken: a broken invariant
    }
  }

  std::size_t limit() const { return limit_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> in_use_{0};
};

}  // namespace sfs
