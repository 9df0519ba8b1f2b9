#include "pg/pg_quota.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sfs::pg {
namespace {

// A scan's lease, told apart from a later one: its end in microseconds
// (exact: extract() is numeric).
constexpr std::string_view kLeaseId = "(extract(epoch FROM scan_until) * 1000000)::bigint";

std::string with_lease(std::string_view sql) { return std::string(sql) + std::string(kLeaseId); }

using Usage = files::Quota::Usage;

std::int64_t db_int(std::uint64_t n) { return static_cast<std::int64_t>(n); }

Usage usage_of(const pqxx::row& row, int first) {
  return {row[first].as<std::uint64_t>(), row[first + 1].as<std::uint64_t>()};
}

// Marks this node alive (again: it may have been taken for dead).
// Returns whether its row was there.
bool touch_node(pqxx::work& tx, const std::string& node) {
  const pqxx::result updated =
      tx.exec_params("UPDATE sfs_quota_nodes SET seen = now() WHERE node = $1", node);
  if (updated.affected_rows() > 0) {
    return true;
  }
  tx.exec_params0("INSERT INTO sfs_quota_nodes (node, seen) VALUES ($1, now())", node);
  return false;
}

void expire_nodes(pqxx::work& tx, std::chrono::seconds after) {
  tx.exec_params0("DELETE FROM sfs_quota_nodes WHERE seen < now() - make_interval(secs => $1)",
                  static_cast<double>(after.count()));
}

void write_hold(pqxx::work& tx, const std::string& node, const std::string& user, Usage held) {
  if (held.bytes == 0 && held.entries == 0) {
    tx.exec_params0("DELETE FROM sfs_quota_holds WHERE node = $1 AND name = $2", node, user);
    return;
  }
  tx.exec_params0(
      "INSERT INTO sfs_quota_holds (node, name, bytes, entries) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (node, name) DO UPDATE SET bytes = excluded.bytes, entries = excluded.entries",
      node, user, db_int(held.bytes), db_int(held.entries));
}

}  // namespace

PgQuota::PgQuota(std::shared_ptr<Database> db, PgQuotaSettings settings)
    : db_(std::move(db)), settings_(settings), node_(fmt::format("{:016x}", random_node_id())) {
  if (enabled()) {
    heartbeat_ = std::thread([this] { heartbeat_loop(); });
  }
}

PgQuota::~PgQuota() {
  {
    const std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (heartbeat_.joinable()) {
    heartbeat_.join();
  }
  pool_.join();  // what was queued (bookings, releases) runs first
  if (!enabled()) {
    return;
  }
  const std::lock_guard lock(mutex_);
  (void)db_->run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params0("DELETE FROM sfs_quota_nodes WHERE node = $1", node_);
    return {};
  });
}

template <typename F>
void PgQuota::queue(F job) {
  asio::post(pool_, [this, job = std::move(job)]() mutable {
    const std::lock_guard lock(mutex_);
    job();
  });
}

PgQuota::Plan PgQuota::plan_scan(const std::string& user, Clock::time_point /*now*/) {
  if (!enabled()) {
    return {false, true, {}};
  }
  const std::lock_guard lock(mutex_);
  Plan plan;
  auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
    plan = {};
    tx.exec_params0("INSERT INTO sfs_quota_usage (name) VALUES ($1) ON CONFLICT DO NOTHING", user);
    const pqxx::row row = tx.exec_params1(
        "SELECT bytes IS NOT NULL, added_bytes, added_entries, "
        "stale OR scanned_at IS NULL OR scanned_at <= now() - make_interval(secs => $2), "
        "scan_until IS NOT NULL AND scan_until > now() "
        "FROM sfs_quota_usage WHERE name = $1 FOR UPDATE",
        user, static_cast<double>(settings_.rescan_after.count()));
    plan.known = row[0].as<bool>();
    const bool due = row[3].as<bool>();
    const bool scanning = row[4].as<bool>();
    if (due && !scanning) {
      const pqxx::row lease = tx.exec_params1(
          with_lease("UPDATE sfs_quota_usage SET scan_until = now() + make_interval(secs => $2) "
                     "WHERE name = $1 RETURNING "),
          user, static_cast<double>(settings_.scan_lease.count()));
      leases_[user] = lease[0].as<std::int64_t>();
      plan.scan = true;
      plan.ticket.added_before = usage_of(row, 1);
    }
    return {};
  });
  if (!done) {
    spdlog::warn("user={} quota: {}", user, done.error().message);
    return {};
  }
  return plan;
}

void PgQuota::finish_scan(const std::string& user, const ScanTicket& ticket,
                          const Result<Usage>& found, Clock::time_point /*now*/) {
  const std::optional<Usage> usage = found ? std::optional(*found) : std::nullopt;
  queue([this, user, ticket, usage] {
    // Only while the lease is still this scan's: once it ran out, another
    // node may be scanning, and its lease and result are not ours to touch.
    const auto lease = leases_.extract(user);
    if (lease.empty()) {
      return;
    }
    auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
      if (!usage) {  // keep a known usage; try again later, not at once
        tx.exec_params0(
            with_lease("UPDATE sfs_quota_usage SET scan_until = NULL, scanned_at = CASE WHEN "
                       "bytes IS NULL THEN scanned_at ELSE now() END WHERE name = $1 AND ") +
                " = $2",
            user, lease.mapped());
        return {};
      }
      const pqxx::result saved = tx.exec_params(
          with_lease("UPDATE sfs_quota_usage SET bytes = $2 + added_bytes - $4, "
                     "entries = $3 + added_entries - $5, scanned_at = now(), stale = false, "
                     "scan_until = NULL WHERE name = $1 AND ") +
              " = $6",
          user, db_int(usage->bytes), db_int(usage->entries), db_int(ticket.added_before.bytes),
          db_int(ticket.added_before.entries), lease.mapped());
      if (saved.affected_rows() == 0) {
        spdlog::info("user={} quota: usage scanned after its lease ran out; not saved", user);
      }
      return {};
    });
    if (!done) {
      spdlog::warn("user={} quota: usage scanned but not saved: {}", user, done.error().message);
    }
  });
}

Result<PgQuota::Reservation> PgQuota::reserve(const std::string& user, Usage needed,
                                              std::uint64_t replaced_bytes) {
  if (!enabled()) {
    return Reservation();
  }
  const std::lock_guard lock(mutex_);
  const Usage mine = holds_[user];
  const Usage after{mine.bytes + needed.bytes, mine.entries + needed.entries};
  auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
    // The user's row first: reservations of one user take turns on it.
    const pqxx::result rows = tx.exec_params(
        "SELECT bytes, entries FROM sfs_quota_usage WHERE name = $1 FOR UPDATE", user);
    if (rows.empty() || rows[0][0].is_null()) {
      return make_error(Errc::kIo, "storage usage not measured yet; try again");
    }
    const Usage used = usage_of(rows[0], 0);
    write_dirty(tx);  // and the dead nodes' holds go
    const pqxx::row held = tx.exec_params1(
        "SELECT coalesce(sum(bytes), 0), coalesce(sum(entries), 0) FROM sfs_quota_holds "
        "WHERE name = $1 AND node <> $2",
        user, node_);
    SFS_RETURN_IF_ERROR(files::check_quota(
        settings_.max_bytes, settings_.max_entries, used,
        {usage_of(held, 0).bytes + mine.bytes, usage_of(held, 0).entries + mine.entries}, needed,
        replaced_bytes));
    write_hold(tx, node_, user, after);
    return {};
  });
  if (!done) {
    return done.error();
  }
  dirty_.clear();
  holds_[user] = after;
  return Reservation(this, user, needed);
}

void PgQuota::release(const std::string& user, Usage amount) {
  queue([this, user, amount] {
    auto it = holds_.find(user);
    if (it == holds_.end()) {
      return;
    }
    it->second = {files::minus(it->second.bytes, amount.bytes),
                  files::minus(it->second.entries, amount.entries)};
    dirty_.insert(user);
    if (auto written = write_holds(); !written) {
      spdlog::warn("quota: holds not given back yet (again with the next heartbeat): {}",
                   written.error().message);
    }
  });
}

// In a transaction: marks the node alive and writes the holds of dirty_
// (all of them when the node had been taken for dead and lost its rows).
void PgQuota::write_dirty(pqxx::work& tx) {
  expire_nodes(tx, settings_.expire_after);
  if (!touch_node(tx, node_)) {
    for (const auto& entry : holds_) {
      dirty_.insert(entry.first);
    }
  }
  for (const std::string& user : dirty_) {
    write_hold(tx, node_, user, holds_[user]);
  }
}

Result<void> PgQuota::write_holds() {
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    write_dirty(tx);
    return {};
  }));
  dirty_.clear();
  std::erase_if(holds_, [](const auto& entry) {
    return entry.second.bytes == 0 && entry.second.entries == 0;
  });
  return {};
}

void PgQuota::record(const std::string& user, Usage added, Usage removed) {
  if (!enabled()) {
    return;
  }
  queue([this, user, added, removed] {
    auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
      tx.exec_params0(
          "UPDATE sfs_quota_usage SET "
          "bytes = CASE WHEN bytes IS NULL THEN NULL ELSE greatest(bytes + $2 - $4, 0) END, "
          "entries = CASE WHEN entries IS NULL THEN NULL ELSE greatest(entries + $3 - $5, 0) END, "
          "added_bytes = added_bytes + $2, added_entries = added_entries + $3 WHERE name = $1",
          user, db_int(added.bytes), db_int(added.entries), db_int(removed.bytes),
          db_int(removed.entries));
      return {};
    });
    if (!done) {
      spdlog::warn("user={} quota: a change not booked (until the next rescan): {}", user,
                   done.error().message);
    }
  });
}

std::optional<PgQuota::Usage> PgQuota::used(const std::string& user) const {
  const std::lock_guard lock(mutex_);
  std::optional<Usage> usage;
  auto done = db_->run([&](pqxx::work& tx) -> Result<void> {
    usage.reset();
    const pqxx::result rows =
        tx.exec_params("SELECT bytes, entries FROM sfs_quota_usage WHERE name = $1", user);
    if (!rows.empty() && !rows[0][0].is_null()) {
      usage = usage_of(rows[0], 0);
    }
    return {};
  });
  return done ? usage : std::nullopt;
}

PgQuota::Usage PgQuota::reserved(const std::string& user) const {
  const std::lock_guard lock(mutex_);
  Usage held;
  (void)db_->run([&](pqxx::work& tx) -> Result<void> {
    held = usage_of(tx.exec_params1("SELECT coalesce(sum(h.bytes), 0), coalesce(sum(h.entries), 0) "
                                    "FROM sfs_quota_holds h JOIN sfs_quota_nodes n USING (node) "
                                    "WHERE h.name = $1 AND n.seen >= now() - "
                                    "make_interval(secs => $2)",
                                    user, static_cast<double>(settings_.expire_after.count())),
                    0);
    return {};
  });
  return held;
}

void PgQuota::mark_all_stale() {
  if (!enabled()) {
    return;
  }
  queue([this] {
    (void)db_->run([&](pqxx::work& tx) -> Result<void> {
      tx.exec0("UPDATE sfs_quota_usage SET stale = true");
      return {};
    });
  });
}

void PgQuota::heartbeat_loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    lock.unlock();
    queue([this] { beat(); });
    lock.lock();
    stop_.wait_for(lock, settings_.heartbeat, [this] { return stopping_; });
  }
}

// Under mutex_, on the pool.
void PgQuota::beat() {
  if (auto written = write_holds(); !written) {
    spdlog::warn("quota: heartbeat: {}", written.error().message);
  }
}

}  // namespace sfs::pg
