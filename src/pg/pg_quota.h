#pragma once
// The quotas' books in PostgreSQL (tables sfs_quota_*, pg/schema.cc): the
// files::Quota of a cluster, so that one user's uploads through several
// nodes at once hold one quota together.
//
//   pg::PgQuota quota(db, {config.quota_bytes, config.quota_files}, rescan_after);
//   files::Services services{quota, backend, hashing, slow_jobs};  // files/ does the rest
//
// How it stays exact: a reservation is one transaction that locks the
// user's usage row (SELECT ... FOR UPDATE), adds up what every live node
// holds for the user, checks the limits and writes this node's hold; two
// nodes reserving for one user at once take turns on that row. A commit
// books the file in the usage row, then gives the hold back, in that order
// (a reservation racing with them counts the file twice, never zero
// times). Holds belong to a node: each node writes its heartbeat
// (sfs_quota_nodes.seen) every `heartbeat`, and any reservation first
// deletes the nodes not seen for `expire_after`, with their holds (a node
// that died, or lost the database that long, holds nothing any more; when
// it returns it writes its holds again from its own memory).
//
// Usage is seeded by one scan of the user's tree (files/usage_scan.h), by
// whichever node needs it first, under a lease in the row (scan_until),
// then kept up to date by every node's bookings and rescanned by one node
// once older than `rescan_after`: no node walks a tree per request.
//
// libpqxx blocks: everything runs on a pool of one thread of this
// object's own (blocking_pool()), in the order it was asked for; record(),
// finish_scan(), mark_all_stale() and releases are queued there and return
// at once. A booking that fails (the database away) is logged and lost
// until the next rescan; a release that fails is written again with the
// next heartbeat.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "asio/asio.h"
#include "files/quota.h"
#include "pg/database.h"

namespace sfs::pg {

struct PgQuotaSettings {
  std::uint64_t max_bytes = 0;  // 0: no limit
  std::uint64_t max_entries = 0;
  std::chrono::seconds rescan_after{600};
  std::chrono::seconds heartbeat{2};
  std::chrono::seconds expire_after{20};  // holds of a node not seen this long go
  std::chrono::seconds scan_lease{600};   // a scan that did not end by then is over
};

class PgQuota final : public files::Quota {
 public:
  PgQuota(std::shared_ptr<Database> db, PgQuotaSettings settings);
  // Stops the heartbeat, runs what is queued, and deletes this node's
  // holds (best effort: otherwise they expire).
  ~PgQuota() override;
  PgQuota(const PgQuota&) = delete;
  PgQuota& operator=(const PgQuota&) = delete;

  bool enabled() const override { return settings_.max_bytes > 0 || settings_.max_entries > 0; }
  // The rules of files::QuotaLedger, with the database's clock (`now` is
  // not used). On a database error: {} (callers wait and ask again, then
  // give up with kIo).
  Plan plan_scan(const std::string& user, Clock::time_point now) override;
  void finish_scan(const std::string& user, const ScanTicket& ticket, const Result<Usage>& found,
                   Clock::time_point now) override;
  // kTooLarge "quota exceeded: ..." over a limit (what every node's
  // operations in flight hold counts); kIo when the usage is not known yet
  // or the database is away.
  Result<Reservation> reserve(const std::string& user, Usage needed,
                              std::uint64_t replaced_bytes = 0) override;
  void record(const std::string& user, Usage added, Usage removed) override;
  std::optional<Usage> used(const std::string& user) const override;
  // What all live nodes hold for the user.
  Usage reserved(const std::string& user) const override;
  void mark_all_stale() override;
  asio::thread_pool* blocking_pool() override { return enabled() ? &pool_ : nullptr; }

  // This node's id in sfs_quota_nodes (random per process).
  const std::string& node() const { return node_; }

 private:
  void release(const std::string& user, Usage amount) override;
  // Queues `job` on the pool (under the lock, like every call).
  template <typename F>
  void queue(F job);
  // Marks this node alive and writes the holds of the users in dirty_.
  void write_dirty(pqxx::work& tx);
  Result<void> write_holds();
  void heartbeat_loop();
  void beat();

  std::shared_ptr<Database> db_;
  const PgQuotaSettings settings_;
  const std::string node_;
  // One at a time, in order: the database calls and the holds below.
  mutable std::mutex mutex_;
  // What this node's operations in flight hold, per user, as written to
  // sfs_quota_holds (or to be written again: dirty_).
  std::map<std::string, Usage, std::less<>> holds_;
  std::set<std::string, std::less<>> dirty_;
  // The leases of this node's scans in progress, by user (kLeaseId).
  std::map<std::string, std::int64_t, std::less<>> leases_;
  asio::thread_pool pool_{1};
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace sfs::pg
