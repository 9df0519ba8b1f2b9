#pragma once
// The browser app's sessions of a cluster in PostgreSQL (table
// sfs_web_sessions, pg/schema.cc): the auth::WebSessionTable every node
// shares, so that a cookie from a login through one node is valid on every
// other, and a logout through any ends it everywhere (docs/cluster.md).
//
//   pg::PgWebSessions sessions(db, limits, [&](auto user) { return users.version(user); });
//
// The semantics are MemoryWebSessionTable's: idle and lifetime expiry (the
// database's clock), the cap per user (the oldest goes) and in all. Only
// the digest of a cookie is stored (web_session_key). A password version
// (UserDb::version) is a counter of one node, so a row keeps instead when
// the user's password row (sfs_users.changed) was written at the login:
// find() answers only while it is still the same, with this node's
// version of the user (`version_of`), so the caller's check passes on
// every node and a password changed through any node ends the session at
// once. Every call blocks: run them on blocking_pool(). A database
// failure is kIo.

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "asio/asio.h"
#include "auth/web_sessions.h"
#include "pg/database.h"

namespace sfs::pg {

class PgWebSessions final : public auth::WebSessionTable {
 public:
  using VersionOf = std::function<std::uint64_t(std::string_view user)>;
  PgWebSessions(std::shared_ptr<Database> db, auth::WebSessionLimits limits, VersionOf version_of);

  // kNotFound "no such user" when the user is not in sfs_users.
  Result<auth::NewWebSession> create(std::string_view user, std::uint64_t version) override;
  Result<std::optional<auth::WebSession>> find(std::string_view id) override;
  Result<bool> end(std::string_view id) override;
  // Ends the user's sessions of an earlier password (or of a user no
  // longer there): every node calls it as its reload sees the change, and
  // one that reloads late must not end a session opened since with the
  // new password. (find() never answers for such a session anyway.)
  Result<std::size_t> end_user(std::string_view user) override;
  asio::thread_pool* blocking_pool() override { return &pool_; }

 private:
  std::shared_ptr<Database> db_;
  auth::WebSessionLimits limits_;
  VersionOf version_of_;
  asio::thread_pool pool_{2};
};

}  // namespace sfs::pg
