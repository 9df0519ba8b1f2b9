#include "pg/pg_upload_table.h"

#include "pg/shared_rows.h"

namespace sfs::pg {
namespace {

constexpr std::string_view kTable = "sfs_uploads";

// Busy: a claim whose lease has not run out. Live: busy, or not expired.
constexpr const char* kBusy = "(busy_until IS NOT NULL AND busy_until > now())";
constexpr const char* kColumns =
    "id, path, metadata, length, \"offset\", digest, done, "
    "(busy_until IS NOT NULL AND busy_until > now()), extract(epoch FROM expires)::bigint";

std::string live_where() {
  return std::string("name = $1 AND id = $2 AND (expires > now() OR ") + kBusy + ")";
}

Result<files::UploadRecord> record_of(const pqxx::row& row) {
  files::UploadRecord up{.id = row[0].as<std::string>(),
                         .path = row[1].as<std::string>(),
                         .metadata = row[2].as<std::string>(),
                         .length = static_cast<std::uint64_t>(row[3].as<std::int64_t>()),
                         .offset = static_cast<std::uint64_t>(row[4].as<std::int64_t>()),
                         .digest = row[5].as<std::string>(),
                         .done = row[6].as<bool>(),
                         .busy = row[7].as<bool>(),
                         .expires = row[8].as<std::int64_t>()};
  if (up.id.size() != 32 || up.path.size() > kMaxRowText || up.metadata.size() > kMaxRowText ||
      up.digest.size() > 1024 || up.offset > up.length) {
    return bad_row(kTable);
  }
  return up;
}

Error no_upload() {
  return make_error(Errc::kNotFound, "no such upload (finished, expired or terminated)");
}

}  // namespace

PgUploadTable::PgUploadTable(std::shared_ptr<Database> db, PgUploadSettings settings)
    : db_(std::move(db)), settings_(settings) {}

Result<files::UploadTable::Created> PgUploadTable::create(std::string_view user,
                                                          std::string_view path,
                                                          std::uint64_t length,
                                                          std::string_view metadata) {
  Created made;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    made = {};
    lock_user(tx, kUploadsClass, user);
    const std::string name(user);
    tx.exec_params0(std::string("DELETE FROM sfs_uploads WHERE name = $1 AND expires <= now() "
                                "AND NOT ") +
                        kBusy,
                    name);
    const auto count = tx.exec_params1("SELECT count(*) FROM sfs_uploads WHERE name = $1", name);
    if (count[0].as<std::int64_t>() >= static_cast<std::int64_t>(settings_.max_per_user)) {
      // The least recently used upload no request holds makes room.
      const auto oldest =
          tx.exec_params(std::string("DELETE FROM sfs_uploads WHERE id = (SELECT "
                                     "id FROM sfs_uploads WHERE name = $1 AND "
                                     "NOT ") +
                             kBusy + " ORDER BY used LIMIT 1) RETURNING " + kColumns,
                         name);
      if (oldest.empty()) {
        return make_error(Errc::kTooLarge, "too many uploads in progress (" +
                                               std::to_string(settings_.max_per_user) +
                                               "), all in use");
      }
      SFS_ASSIGN_OR_RETURN(auto evicted, record_of(oldest[0]));
      made.evicted = std::move(evicted);
    }
    const auto row = tx.exec_params1(
        std::string("INSERT INTO sfs_uploads (id, name, path, metadata, length, expires, used) "
                    "VALUES ($1, $2, $3, $4, $5, now() + $6::bigint * interval '1 second', "
                    "nextval('sfs_uploads_used')) RETURNING ") +
            kColumns,
        files::new_upload_id(), name, std::string(path), std::string(metadata),
        static_cast<std::int64_t>(length), static_cast<std::int64_t>(settings_.ttl.count()));
    SFS_ASSIGN_OR_RETURN(made.upload, record_of(row));
    return {};
  }));
  return made;
}

Result<std::optional<files::UploadRecord>> PgUploadTable::find(std::string_view user,
                                                               std::string_view id) {
  std::optional<files::UploadRecord> found;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    found.reset();
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns + " FROM sfs_uploads WHERE " + live_where(),
        std::string(user), std::string(id));
    if (!rows.empty()) {
      SFS_ASSIGN_OR_RETURN(found, record_of(rows[0]));
    }
    return {};
  }));
  return found;
}

Result<files::UploadRecord> PgUploadTable::claim(std::string_view user, std::string_view id) {
  files::UploadRecord up;
  const std::string claim = files::new_upload_id();  // as random as an id
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                         " FROM sfs_uploads WHERE " + live_where() + " FOR UPDATE",
                                     std::string(user), std::string(id));
    if (rows.empty()) {
      return no_upload();
    }
    SFS_ASSIGN_OR_RETURN(up, record_of(rows[0]));
    if (up.busy) {
      return make_error(Errc::kExists, "another request is writing this upload");
    }
    const auto row = tx.exec_params1(
        std::string("UPDATE sfs_uploads SET claim = $3, "
                    "busy_until = now() + $4::bigint * interval '1 second', "
                    "expires = now() + $5::bigint * interval '1 second', "
                    "used = nextval('sfs_uploads_used') WHERE name = $1 AND id = $2 RETURNING ") +
            kColumns,
        std::string(user), std::string(id), claim,
        static_cast<std::int64_t>(settings_.claim_lease.count()),
        static_cast<std::int64_t>(settings_.ttl.count()));
    SFS_ASSIGN_OR_RETURN(up, record_of(row));
    return {};
  }));
  const std::lock_guard lock(mutex_);
  claims_[up.id] = claim;
  return up;
}

Result<bool> PgUploadTable::release(std::string_view user, std::string_view id,
                                    const files::UploadProgress& progress) {
  std::string claim;
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = claims_.find(id); it != claims_.end()) {
      claim = it->second;
      claims_.erase(it);
    }
  }
  bool kept = false;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    kept = false;
    const auto rows =
        tx.exec_params("SELECT claim FROM sfs_uploads WHERE name = $1 AND id = $2 FOR UPDATE",
                       std::string(user), std::string(id));
    if (rows.empty()) {
      return {};  // terminated meanwhile
    }
    kept = true;
    if (rows[0][0].is_null() || rows[0][0].as<std::string>() != claim) {
      return {};  // the lease lapsed and another request claimed it: its progress stands
    }
    tx.exec_params0(
        "UPDATE sfs_uploads SET claim = NULL, busy_until = NULL, \"offset\" = $3, digest = $4, "
        "done = $5, expires = now() + $6::bigint * interval '1 second', "
        "used = nextval('sfs_uploads_used') WHERE name = $1 AND id = $2",
        std::string(user), std::string(id), static_cast<std::int64_t>(progress.offset),
        progress.digest, progress.done, static_cast<std::int64_t>(settings_.ttl.count()));
    return {};
  }));
  return kept;
}

Result<std::optional<files::UploadRecord>> PgUploadTable::remove(std::string_view user,
                                                                 std::string_view id) {
  std::optional<files::UploadRecord> removed;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    removed.reset();
    const auto rows = tx.exec_params(
        std::string("DELETE FROM sfs_uploads WHERE ") + live_where() + " RETURNING " + kColumns,
        std::string(user), std::string(id));
    if (!rows.empty()) {
      SFS_ASSIGN_OR_RETURN(removed, record_of(rows[0]));
    }
    return {};
  }));
  return removed;
}

Result<std::size_t> PgUploadTable::sweep() {
  std::size_t removed = 0;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto done =
        tx.exec(std::string("DELETE FROM sfs_uploads WHERE expires <= now() AND NOT ") + kBusy);
    removed = static_cast<std::size_t>(done.affected_rows());
    return {};
  }));
  return removed;
}

}  // namespace sfs::pg
