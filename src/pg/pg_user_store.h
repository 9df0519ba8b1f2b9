#pragma once
// The users in PostgreSQL (table sfs_users, pg/schema.cc): the UserStore of
// a cluster. Every node's server polls its change token (one row of
// sfs_generations, bumped by a trigger on every change) every 500 ms, so
// that a user added, changed or deleted with `sfs-admin --db` counts on
// every node within a second; each change is one transaction.
//
//   std::shared_ptr<pg::Database> db = std::move(*pg::Database::open(url));
//   pg::PgUserStore store(db);
//   auto snapshot = store.load();
//
// Secrets are always Argon2id hashes here: plaintext passwords exist only
// in legacy auth files, and `sfs-admin --db import` hashes them on the way.

#include <memory>

#include "auth/user_store.h"
#include "pg/database.h"

namespace sfs::pg {

class PgUserStore final : public auth::UserStore {
 public:
  explicit PgUserStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  std::string name() const override { return db_->name(); }
  std::string_view kind() const override { return "user database"; }
  std::chrono::milliseconds check_interval() const override;
  // Also kBadRequest when a row breaks the rules a user name follows (the
  // table's CHECK says so too; this is the last line of defence).
  Result<Snapshot> load() override;
  Result<std::string> change_token() override;
  Result<void> add(const auth::Entry& entry) override;
  Result<void> set_secret(const std::string& name, const std::string& secret) override;
  Result<void> remove(const std::string& name) override;
  Result<void> replace_secret(const std::string& name, const std::string& expected,
                              const std::string& secret) override;
  Result<std::size_t> migrate(
      const std::function<Result<std::string>(std::string_view)>& hash) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace sfs::pg
