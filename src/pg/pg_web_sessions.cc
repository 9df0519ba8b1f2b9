#include "pg/pg_web_sessions.h"

#include "auth/user_name.h"
#include "pg/shared_rows.h"

namespace sfs::pg {
namespace {

// Ended: idle too long ($idle seconds) or too old ($lifetime seconds).
std::string expired_sql(int idle, int lifetime) {
  return "(used + $" + std::to_string(idle) + "::bigint * interval '1 second' <= now() OR " +
         "created + $" + std::to_string(lifetime) + "::bigint * interval '1 second' <= now())";
}

}  // namespace

PgWebSessions::PgWebSessions(std::shared_ptr<Database> db, auth::WebSessionLimits limits,
                             VersionOf version_of)
    : db_(std::move(db)), limits_(limits), version_of_(std::move(version_of)) {}

Result<auth::NewWebSession> PgWebSessions::create(std::string_view user, std::uint64_t version) {
  const auth::NewWebSession made = auth::new_web_session(user, version);
  const std::string key = auth::web_session_key(made.id);
  const auto idle = static_cast<std::int64_t>(limits_.idle.count());
  const auto lifetime = static_cast<std::int64_t>(limits_.lifetime.count());
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    // Logins are rare: one at a time in the whole cluster keeps both caps
    // exact.
    lock_user(tx, kSessionsClass, "");
    tx.exec_params0("DELETE FROM sfs_web_sessions WHERE " + expired_sql(1, 2), idle, lifetime);
    const std::string name(user);
    tx.exec_params0(
        "DELETE FROM sfs_web_sessions WHERE key IN (SELECT key FROM sfs_web_sessions WHERE "
        "name = $1 ORDER BY created DESC, key OFFSET $2)",
        name, static_cast<std::int64_t>(limits_.max_per_user) - 1);
    const auto count = tx.exec1("SELECT count(*) FROM sfs_web_sessions");
    if (count[0].as<std::int64_t>() >= static_cast<std::int64_t>(limits_.max_sessions)) {
      return make_error(Errc::kTooLarge, "too many browser sessions; try again later");
    }
    const auto done = tx.exec_params(
        "INSERT INTO sfs_web_sessions (key, name, csrf, password_changed) "
        "SELECT $1, name, $3, changed FROM sfs_users WHERE name = $2",
        key, name, made.session.csrf);
    if (done.affected_rows() == 0) {
      return make_error(Errc::kNotFound, "no such user '" + name + "'");
    }
    return {};
  }));
  return made;
}

Result<std::optional<auth::WebSession>> PgWebSessions::find(std::string_view id) {
  std::optional<auth::WebSession> found;
  const std::string key = auth::web_session_key(id);
  const auto idle = static_cast<std::int64_t>(limits_.idle.count());
  const auto lifetime = static_cast<std::int64_t>(limits_.lifetime.count());
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    found.reset();
    // Live, and the user's password the one of the login: its idle time
    // restarts. Anything else under the key goes.
    const auto rows = tx.exec_params(
        "UPDATE sfs_web_sessions s SET used = now() FROM sfs_users u WHERE s.key = $1 AND "
        "u.name = s.name AND u.changed = s.password_changed AND NOT " +
            expired_sql(2, 3) + " RETURNING s.name, s.csrf",
        key, idle, lifetime);
    if (rows.empty()) {
      tx.exec_params0("DELETE FROM sfs_web_sessions WHERE key = $1", key);
      return {};
    }
    auth::WebSession session{.user = rows[0][0].as<std::string>(),
                             .csrf = rows[0][1].as<std::string>()};
    if (!auth::is_valid_user_name(session.user) || session.csrf.size() != 64) {
      return bad_row("sfs_web_sessions");
    }
    found = std::move(session);
    return {};
  }));
  if (found) {
    found->version = version_of_(found->user);
  }
  return found;
}

Result<bool> PgWebSessions::end(std::string_view id) {
  bool ended = false;
  const std::string key = auth::web_session_key(id);
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    ended = tx.exec_params("DELETE FROM sfs_web_sessions WHERE key = $1", key).affected_rows() > 0;
    return {};
  }));
  return ended;
}

Result<std::size_t> PgWebSessions::end_user(std::string_view user) {
  std::size_t ended = 0;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    ended = static_cast<std::size_t>(
        tx.exec_params("DELETE FROM sfs_web_sessions s WHERE s.name = $1 AND NOT EXISTS (SELECT "
                       "1 FROM sfs_users u WHERE u.name = s.name AND "
                       "u.changed = s.password_changed)",
                       std::string(user))
            .affected_rows());
    return {};
  }));
  return ended;
}

}  // namespace sfs::pg
