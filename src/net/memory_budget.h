#pragma once
// Memory for the file data in flight, capped for the whole process.
//
// A MemoryBudget is a counter of bytes under a limit that every transfer's
// buffers draw from and give back to (the server makes one from
// --max-transfer-memory; the client has none). A Buffer is a byte array
// whose capacity is drawn from a budget: it grows only when asked, by as
// much as the budget allows, and gives its share back when it shrinks or
// goes away. It is not zero-filled, so the pages of a large buffer become
// resident only as bytes are written into them; and a large buffer is
// mapped pages of its own (mmap; it grows and shrinks by mremap, which moves
// its pages rather than copying them), so what it gives back leaves the
// process instead of staying resident in malloc's arenas: at once, but for
// the last few mappings freed (8 MiB at most in all), which the next buffers
// of the same size reuse, since a fast transfer gives its buffers back and
// takes them again at every pause of its socket.
//
//   MemoryBudget budget(256 << 20);
//   Buffer buffer(&budget);
//   if (!buffer.grow(16384, 1 << 20, 0)) { /* budget short: wait, or work smaller */ }
//   read_into(buffer.data(), buffer.capacity());
//   buffer.release();   // stalled: give it all back

#include <cstddef>

#include "base/byte_budget.h"

namespace sfs::net {

// The process's memory for file data in flight (--max-transfer-memory).
using MemoryBudget = ByteBudget;

class Buffer {
 public:
  // Without a budget (nullptr) the buffer grows as asked. The first
  // `free_bytes` of its capacity are not drawn from the budget: a buffer
  // that may always hold that much keeps its transfer moving (slowly) when
  // the budget is spent.
  explicit Buffer(MemoryBudget* budget = nullptr, std::size_t free_bytes = 0)
      : budget_(budget), free_bytes_(free_bytes) {}
  ~Buffer() { release(); }
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

  // Grows the capacity to `want_bytes` when the budget allows it, else to
  // `min_bytes` (never shrinks it). The first `keep` bytes (at most the
  // capacity) stay. Returns whether the capacity is now at least
  // `min_bytes`; false means the budget could not give that much, and
  // nothing changed.
  bool grow(std::size_t min_bytes, std::size_t want_bytes, std::size_t keep);
  // Shrinks the capacity to `keep` bytes, keeping them, and gives the rest
  // back (nothing happens when it is not smaller).
  void shrink(std::size_t keep);
  // Frees everything and gives it back.
  void release();

 private:
  // Replaces the memory by `bytes` of new memory (already taken from the
  // budget), keeping the first `keep` bytes.
  void reallocate(std::size_t bytes, std::size_t keep);
  // What a capacity of `bytes` draws from the budget.
  std::size_t charge(std::size_t bytes) const {
    return bytes > free_bytes_ ? bytes - free_bytes_ : 0;
  }

  MemoryBudget* budget_;
  std::size_t free_bytes_;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace sfs::net
