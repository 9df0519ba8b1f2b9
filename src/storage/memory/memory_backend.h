#pragma once
// The in-memory storage backend, for fast tests: every user's files in maps
// in this process, gone when it ends. Same contract as the POSIX backend
// (docs/storage.md; the conformance suite checks both): uploads invisible
// until commit, resumable partials per (name, size), reserved ".sfs-" names
// refused, kMaxDirDepth, mv rules, sorted listings, digests. Thread-safe;
// every operation runs inline on the caller's thread (nothing blocks).
//
//   storage::MemoryBackend backend;
//   auto space = co_await backend.open_space("alice");

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/backend.h"

namespace sfs::storage {

namespace memory {
class Tree;
}  // namespace memory

class MemoryBackend final : public Backend {
 public:
  MemoryBackend();
  ~MemoryBackend() override;

  // Atomic folder rename, mutable digests and resumable partials; usage()
  // walks the maps; nothing is durable.
  Capabilities capabilities() const override;
  awaitable<Result<std::unique_ptr<Space>>> open_space(std::string user) override;
  awaitable<std::size_t> remove_stale(std::chrono::seconds partial_ttl) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<memory::Tree>, std::less<>> trees_;
};

}  // namespace sfs::storage
