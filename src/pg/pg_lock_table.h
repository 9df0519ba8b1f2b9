#pragma once
// The WebDAV locks of a cluster in PostgreSQL (table sfs_locks,
// pg/schema.cc): the files::LockTable every node shares, so that a lock
// taken through one node holds on every other (docs/cluster.md).
//
//   pg::PgLockTable locks(db);
//   auto made = co_await call_on(locks.blocking_pool(), [&] { return locks.create(u, spec); });
//
// The semantics are MemoryLockTable's: the same conflicts, the cap of
// locks per user, timeouts. A lock expires at a time of the database's
// clock (now() + timeout), so the nodes' clocks do not matter. A change of
// one user's locks takes a transaction-scoped advisory lock on the user,
// so two nodes locking one path at once take turns: one wins, the other
// gets kExists. Every call blocks: run them on blocking_pool(). A database
// failure is kIo.

#include <chrono>
#include <memory>

#include "asio/asio.h"
#include "files/lock_table.h"
#include "pg/database.h"

namespace sfs::pg {

class PgLockTable final : public files::LockTable {
 public:
  explicit PgLockTable(std::shared_ptr<Database> db,
                       std::size_t max_per_user = files::kMaxLocksPerUser);

  Result<files::Lock> create(std::string_view user, const files::LockSpec& spec) override;
  Result<files::Lock> refresh(std::string_view user, std::string_view path, std::string_view token,
                              std::chrono::seconds timeout) override;
  Result<void> unlock(std::string_view user, std::string_view path,
                      std::string_view token) override;
  Result<std::vector<files::Lock>> covering(std::string_view user, std::string_view path) override;
  Result<std::vector<files::Lock>> affecting(std::string_view user, std::string_view path,
                                             bool tree) override;
  Result<void> remove_tree(std::string_view user, std::string_view path) override;
  asio::thread_pool* blocking_pool() override { return &pool_; }

 private:
  std::shared_ptr<Database> db_;
  std::size_t max_per_user_;
  asio::thread_pool pool_{2};
};

}  // namespace sfs::pg
