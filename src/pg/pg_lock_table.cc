#include "pg/pg_lock_table.h"

#include <algorithm>

#include "pg/shared_rows.h"

namespace sfs::pg {
namespace {

constexpr std::string_view kTable = "sfs_locks";
// The most a timeout may be (the door caps what clients ask far below).
constexpr std::int64_t kMaxTimeoutSeconds = std::int64_t{1} << 31;

// The columns every query reads back, the timeout left rounded up (as
// MemoryLockTable shows it).
constexpr const char* kColumns =
    "token, root, exclusive, deep, owner_xml, "
    "GREATEST(ceil(extract(epoch FROM expires - now())), 0)::bigint";

Result<files::Lock> lock_of(const pqxx::row& row) {
  files::Lock lock{.token = row[0].as<std::string>(),
                   .root = row[1].as<std::string>(),
                   .exclusive = row[2].as<bool>(),
                   .deep = row[3].as<bool>(),
                   .owner_xml = row[4].as<std::string>(),
                   .timeout = std::chrono::seconds(row[5].as<std::int64_t>())};
  if (lock.token.empty() || lock.token.size() > 100 || lock.root.size() > kMaxRowText ||
      lock.owner_xml.size() > kMaxRowText || lock.timeout.count() > kMaxTimeoutSeconds) {
    return bad_row(kTable);
  }
  return lock;
}

// The user's live locks (at most `limit`, so a table filled behind sfs's
// back cannot flood a node's memory).
Result<std::vector<files::Lock>> live_locks(pqxx::work& tx, std::string_view user,
                                            std::size_t limit) {
  std::vector<files::Lock> out;
  const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                       " FROM sfs_locks WHERE name = $1 AND expires > now() "
                                       "ORDER BY token LIMIT $2",
                                   std::string(user), static_cast<std::int64_t>(limit));
  for (const auto& row : rows) {
    SFS_ASSIGN_OR_RETURN(files::Lock lock, lock_of(row));
    out.push_back(std::move(lock));
  }
  return out;
}

Error no_lock() { return make_error(Errc::kNotFound, "no such lock on this resource"); }

}  // namespace

PgLockTable::PgLockTable(std::shared_ptr<Database> db, std::size_t max_per_user)
    : db_(std::move(db)), max_per_user_(max_per_user) {}

Result<files::Lock> PgLockTable::create(std::string_view user, const files::LockSpec& spec) {
  files::Lock made;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    lock_user(tx, kLocksClass, user);
    // Expired locks go as locks are taken (every user's: one who never
    // comes back does not keep theirs).
    tx.exec0("DELETE FROM sfs_locks WHERE expires <= now()");
    SFS_ASSIGN_OR_RETURN(auto locks, live_locks(tx, user, max_per_user_ + 1));
    for (const files::Lock& lock : locks) {
      if ((lock.exclusive || spec.exclusive) && files::locks_overlap(lock, spec)) {
        return make_error(Errc::kExists, "locked: /" + lock.root);
      }
    }
    if (locks.size() >= max_per_user_) {
      return make_error(Errc::kTooLarge,
                        "too many locks: at most " + std::to_string(max_per_user_) + " per user");
    }
    const std::string token = files::new_lock_token();
    const auto row = tx.exec_params1(
        std::string("INSERT INTO sfs_locks (token, name, root, exclusive, deep, owner_xml, "
                    "timeout_s, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                    "now() + $7::bigint * interval '1 second') RETURNING ") +
            kColumns,
        token, std::string(user), spec.root, spec.exclusive, spec.deep, spec.owner_xml,
        static_cast<std::int64_t>(spec.timeout.count()));
    SFS_ASSIGN_OR_RETURN(made, lock_of(row));
    made.timeout = spec.timeout;
    return {};
  }));
  return made;
}

Result<files::Lock> PgLockTable::refresh(std::string_view user, std::string_view path,
                                         std::string_view token, std::chrono::seconds timeout) {
  files::Lock lock;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns +
            " FROM sfs_locks WHERE name = $1 AND token = $2 AND expires > now() FOR UPDATE",
        std::string(user), std::string(token));
    if (rows.empty()) {
      return no_lock();
    }
    SFS_ASSIGN_OR_RETURN(lock, lock_of(rows[0]));
    if (!files::lock_covers(lock, path)) {
      return no_lock();
    }
    tx.exec_params0(
        "UPDATE sfs_locks SET timeout_s = $3::bigint, expires = now() + $3::bigint * interval '1 "
        "second' "
        "WHERE name = $1 AND token = $2",
        std::string(user), std::string(token), static_cast<std::int64_t>(timeout.count()));
    lock.timeout = timeout;
    return {};
  }));
  return lock;
}

Result<void> PgLockTable::unlock(std::string_view user, std::string_view path,
                                 std::string_view token) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                         " FROM sfs_locks WHERE name = $1 AND token = $2 AND "
                                         "expires > now() FOR UPDATE",
                                     std::string(user), std::string(token));
    if (rows.empty()) {
      return no_lock();
    }
    SFS_ASSIGN_OR_RETURN(const files::Lock lock, lock_of(rows[0]));
    if (!files::lock_covers(lock, path)) {
      return no_lock();
    }
    tx.exec_params0("DELETE FROM sfs_locks WHERE name = $1 AND token = $2", std::string(user),
                    std::string(token));
    return {};
  });
}

Result<std::vector<files::Lock>> PgLockTable::covering(std::string_view user,
                                                       std::string_view path) {
  return affecting(user, path, false);
}

Result<std::vector<files::Lock>> PgLockTable::affecting(std::string_view user,
                                                        std::string_view path, bool tree) {
  std::vector<files::Lock> out;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    out.clear();
    // The user's live locks are few (max_per_user_ at most): the matching
    // is files/'s own, exactly the memory table's.
    SFS_ASSIGN_OR_RETURN(auto locks, live_locks(tx, user, max_per_user_));
    for (files::Lock& lock : locks) {
      if (files::lock_covers(lock, path) || (tree && files::path_within(lock.root, path))) {
        out.push_back(std::move(lock));
      }
    }
    return {};
  }));
  return out;
}

Result<void> PgLockTable::remove_tree(std::string_view user, std::string_view path) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    lock_user(tx, kLocksClass, user);
    const auto rows =
        tx.exec_params("SELECT token, root FROM sfs_locks WHERE name = $1", std::string(user));
    for (const auto& row : rows) {
      if (files::path_within(row[1].as<std::string>(), path)) {
        tx.exec_params0("DELETE FROM sfs_locks WHERE name = $1 AND token = $2", std::string(user),
                        row[0].as<std::string>());
      }
    }
    return {};
  });
}

}  // namespace sfs::pg
