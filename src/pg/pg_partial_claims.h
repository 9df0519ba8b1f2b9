#pragma once
// The S3 backend's claims on partials in PostgreSQL (tables sfs_claim_*,
// pg/schema.cc): storage::PartialClaims for nodes sharing one bucket, so
// that one upload of any node at a time continues a kept partial, and no
// node's stale sweep aborts a multipart upload another node still writes.
//
//   auto claims = std::make_shared<pg::PgPartialClaims>(db);
//   S3Backend::create(settings, pool, claims);   // the backend does the rest
//
// How: a claim is a row keyed by the sidecar (sfs_partial_claims), so of
// two nodes inserting it at once one gets it; a multipart upload in use is
// a row per node (sfs_upload_holds). Rows belong to a node: each node
// writes its heartbeat (sfs_claim_nodes.seen, the database's now()) every
// `heartbeat`, and any claim or heartbeat first deletes the nodes not seen
// for `expire_after`, with their rows (a node that died, or lost the
// database that long, holds nothing any more; when it returns it writes
// what it still holds again, from its own memory). The questions
// (is_claimed, holds_upload) count live nodes' rows only.
//
// Each node's own claims and holds are also kept here in memory: they are
// the truth for this node, the rows their copy for the others. claim() and
// the questions block on the database (callers offload them: the S3
// backend runs them on its pool); unclaim() and the holds are queued on a
// thread of this object's own and return at once; a write that fails
// marks the rows to be written again, all of them, with the next
// heartbeat.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "asio/asio.h"
#include "pg/database.h"
#include "storage/partial_claims.h"

namespace sfs::pg {

struct PgPartialClaimsSettings {
  std::chrono::seconds heartbeat{2};
  std::chrono::seconds expire_after{20};  // rows of a node not seen this long go
};

class PgPartialClaims final : public storage::PartialClaims {
 public:
  explicit PgPartialClaims(std::shared_ptr<Database> db, PgPartialClaimsSettings settings = {});
  // Stops the heartbeat, runs what is queued, and deletes this node's rows
  // (best effort: otherwise they expire).
  ~PgPartialClaims() override;
  PgPartialClaims(const PgPartialClaims&) = delete;
  PgPartialClaims& operator=(const PgPartialClaims&) = delete;

  // kIo "NAME unavailable: why" (one line) when the database is away.
  Result<bool> claim(const std::string& sidecar) override;
  void unclaim(const std::string& sidecar) override;
  Result<bool> is_claimed(const std::string& sidecar) override;
  void hold_upload(const std::string& upload_id) override;
  void release_upload(const std::string& upload_id) override;
  Result<bool> holds_upload(const std::string& upload_id) override;

  // This node's id in sfs_claim_nodes (random per process).
  const std::string& node() const { return node_; }
  // Runs what is queued and one heartbeat, and returns how it went (tests
  // and shutdown; the heartbeat thread does this every `heartbeat`).
  Result<void> flush();

 private:
  template <typename F>
  void queue(F job);
  // In a transaction: deletes the dead nodes and marks this one alive;
  // writes all of this node's rows again when it had been taken for dead
  // or a write failed (dirty_).
  void touch(pqxx::work& tx);
  Result<void> beat();
  void heartbeat_loop();

  std::shared_ptr<Database> db_;
  const PgPartialClaimsSettings settings_;
  const std::string node_;
  // Under it: the sets below and every database write of this node's rows
  // (so a queued unclaim never deletes a claim taken again meanwhile).
  std::mutex mutex_;
  std::set<std::string> claimed_;
  std::multiset<std::string> uploads_;
  bool dirty_ = false;
  asio::thread_pool pool_{1};
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace sfs::pg
