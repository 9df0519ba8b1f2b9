#include "pg/pg_partial_claims.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <future>
#include <utility>

namespace sfs::pg {
namespace {

double seconds(std::chrono::seconds s) { return static_cast<double>(s.count()); }

// Returns whether this node's row was there (else it had been taken for
// dead and lost its claims and holds).
bool touch_node(pqxx::work& tx, const std::string& node) {
  const pqxx::result updated =
      tx.exec_params("UPDATE sfs_claim_nodes SET seen = now() WHERE node = $1", node);
  if (updated.affected_rows() > 0) {
    return true;
  }
  tx.exec_params0("INSERT INTO sfs_claim_nodes (node, seen) VALUES ($1, now())", node);
  return false;
}

// True when the claim is (now) this node's: inserted, or already its own
// (an unclaim of it still queued, which will leave it alone).
bool insert_claim(pqxx::work& tx, const std::string& node, const std::string& sidecar) {
  const pqxx::result done = tx.exec_params(
      "INSERT INTO sfs_partial_claims (sidecar, node) VALUES ($1, $2) "
      "ON CONFLICT (sidecar) DO UPDATE SET node = excluded.node "
      "WHERE sfs_partial_claims.node = excluded.node",
      sidecar, node);
  return done.affected_rows() > 0;
}

void insert_hold(pqxx::work& tx, const std::string& node, const std::string& upload_id) {
  tx.exec_params0(
      "INSERT INTO sfs_upload_holds (upload_id, node) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      upload_id, node);
}

}  // namespace

PgPartialClaims::PgPartialClaims(std::shared_ptr<Database> db, PgPartialClaimsSettings settings)
    : db_(std::move(db)), settings_(settings), node_(fmt::format("{:016x}", random_node_id())) {
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

PgPartialClaims::~PgPartialClaims() {
  {
    const std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  heartbeat_.join();
  pool_.join();  // what was queued runs first
  (void)db_->run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params0("DELETE FROM sfs_claim_nodes WHERE node = $1", node_);
    return {};
  });
}

template <typename F>
void PgPartialClaims::queue(F job) {
  asio::post(pool_, [this, job = std::move(job)]() mutable {
    const std::lock_guard lock(mutex_);
    job();
  });
}

void PgPartialClaims::touch(pqxx::work& tx) {
  tx.exec_params0("DELETE FROM sfs_claim_nodes WHERE seen < now() - make_interval(secs => $1)",
                  seconds(settings_.expire_after));
  if (touch_node(tx, node_) && !dirty_) {
    return;
  }
  tx.exec_params0("DELETE FROM sfs_partial_claims WHERE node = $1", node_);
  tx.exec_params0("DELETE FROM sfs_upload_holds WHERE node = $1", node_);
  for (const std::string& sidecar : claimed_) {
    if (!insert_claim(tx, node_, sidecar)) {
      // Taken by another node while this one was taken for dead: both
      // may now continue the partial; the first commit wins, the other
      // fails at its CompleteMultipartUpload or replaces it whole.
      spdlog::warn("S3 partial {}: claimed by another node while this one was away", sidecar);
    }
  }
  for (const std::string& upload_id : uploads_) {
    insert_hold(tx, node_, upload_id);
  }
}

Result<bool> PgPartialClaims::claim(const std::string& sidecar) {
  const std::lock_guard lock(mutex_);
  if (claimed_.contains(sidecar)) {
    return false;
  }
  bool mine = false;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    touch(tx);
    mine = insert_claim(tx, node_, sidecar);
    return {};
  }));
  dirty_ = false;
  if (mine) {
    claimed_.insert(sidecar);
  }
  return mine;
}

void PgPartialClaims::unclaim(const std::string& sidecar) {
  {
    const std::lock_guard lock(mutex_);
    claimed_.erase(sidecar);
  }
  queue([this, sidecar] {
    if (claimed_.contains(sidecar)) {
      return;  // claimed again meanwhile: the row is that claim's
    }
    auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
      tx.exec_params0("DELETE FROM sfs_partial_claims WHERE sidecar = $1 AND node = $2", sidecar,
                      node_);
      return {};
    });
    dirty_ = dirty_ || !done;  // written again with the next heartbeat
  });
}

Result<bool> PgPartialClaims::is_claimed(const std::string& sidecar) {
  {
    const std::lock_guard lock(mutex_);
    if (claimed_.contains(sidecar)) {
      return true;
    }
  }
  bool claimed = false;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    claimed = !tx.exec_params(
                     "SELECT 1 FROM sfs_partial_claims c JOIN sfs_claim_nodes n USING (node) "
                     "WHERE c.sidecar = $1 AND n.seen >= now() - make_interval(secs => $2)",
                     sidecar, seconds(settings_.expire_after))
                   .empty();
    return {};
  }));
  return claimed;
}

void PgPartialClaims::hold_upload(const std::string& upload_id) {
  {
    const std::lock_guard lock(mutex_);
    uploads_.insert(upload_id);
  }
  queue([this, upload_id] {
    if (!uploads_.contains(upload_id)) {
      return;  // released meanwhile
    }
    auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
      touch(tx);  // the node's row first: the hold refers to it
      insert_hold(tx, node_, upload_id);
      return {};
    });
    dirty_ = !done.ok();  // when done, touch() wrote whatever was dirty
  });
}

void PgPartialClaims::release_upload(const std::string& upload_id) {
  {
    const std::lock_guard lock(mutex_);
    if (auto it = uploads_.find(upload_id); it != uploads_.end()) {
      uploads_.erase(it);
    }
  }
  queue([this, upload_id] {
    if (uploads_.contains(upload_id)) {
      return;  // held again (or still, by another upload of this node)
    }
    auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
      tx.exec_params0("DELETE FROM sfs_upload_holds WHERE upload_id = $1 AND node = $2", upload_id,
                      node_);
      return {};
    });
    dirty_ = dirty_ || !done;
  });
}

Result<bool> PgPartialClaims::holds_upload(const std::string& upload_id) {
  {
    const std::lock_guard lock(mutex_);
    if (uploads_.contains(upload_id)) {
      return true;
    }
  }
  bool held = false;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    held = !tx.exec_params(
                  "SELECT 1 FROM sfs_upload_holds h JOIN sfs_claim_nodes n USING (node) "
                  "WHERE h.upload_id = $1 AND n.seen >= now() - make_interval(secs => $2)",
                  upload_id, seconds(settings_.expire_after))
                .empty();
    return {};
  }));
  return held;
}

// Under mutex_.
Result<void> PgPartialClaims::beat() {
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    touch(tx);
    return {};
  }));
  dirty_ = false;
  return {};
}

Result<void> PgPartialClaims::flush() {
  std::promise<Result<void>> done;
  auto got = done.get_future();
  queue([this, &done] { done.set_value(beat()); });
  return got.get();
}

void PgPartialClaims::heartbeat_loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    lock.unlock();
    queue([this] {
      if (auto beaten = beat(); !beaten) {
        spdlog::warn("S3 partial claims: heartbeat: {}", beaten.error().message);
      }
    });
    lock.lock();
    stop_.wait_for(lock, settings_.heartbeat, [this] { return stopping_; });
  }
}

}  // namespace sfs::pg
