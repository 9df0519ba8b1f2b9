#pragma once
// Where the users and their password hashes are kept: the auth file (one
// node, the default: FileUserStore) or PostgreSQL (a cluster:
// pg::PgUserStore). The server loads them into a UserDb and reloads it when
// the store changes (UserDbReloader); its rehash and sfs-admin change them.
//
//   auto snapshot = store.load();            // the users and a change token
//   ... later: if (store.change_token() != snapshot->token) reload ...
//   store.add({"alice", hash});               // kExists when she is there
//
// Every change is atomic: a reader sees the users before or after it.
// Implementations are thread-safe; their calls block (file or network I/O),
// so a server makes them off its network threads.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_file.h"
#include "base/result.h"

namespace sfs::auth {

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Names the store in messages and logs: the auth file's path, or
  // "database HOST/NAME" (never a password).
  virtual std::string name() const = 0;
  // What it is, for log lines: "auth file" or "user database".
  virtual std::string_view kind() const = 0;
  // How often a running server asks change_token(), so that sfs-admin can
  // tell how soon a change takes effect.
  virtual std::chrono::milliseconds check_interval() const = 0;

  // The users, and the change token they were read at.
  struct Snapshot {
    std::vector<Entry> entries;
    std::string token;
  };
  // kNotFound when the store does not exist (a missing auth file),
  // kBadRequest when it is malformed, kIo when it cannot be read (the
  // database is down) or changed while being read.
  virtual Result<Snapshot> load() = 0;
  // A short opaque value that changes whenever the users may have changed
  // (cheap: one stat, one query). Equal tokens: nothing changed.
  virtual Result<std::string> change_token() = 0;

  // kExists when `entry.name` is a user already.
  virtual Result<void> add(const Entry& entry) = 0;
  // kNotFound when `name` is no user.
  virtual Result<void> set_secret(const std::string& name, const std::string& secret) = 0;
  // kNotFound when `name` is no user.
  virtual Result<void> remove(const std::string& name) = 0;
  // Sets `name`'s secret only if it still is `expected` (the server's
  // rehash, which must never undo a change made meanwhile): kExists when
  // it is not (changed or removed).
  virtual Result<void> replace_secret(const std::string& name, const std::string& expected,
                                      const std::string& secret) = 0;
  // Replaces every plaintext secret by hash(plaintext); returns how many.
  virtual Result<std::size_t> migrate(
      const std::function<Result<std::string>(std::string_view)>& hash) = 0;
};

// The auth file (`id_passwd.txt`): each change a locked read-modify-write
// saved atomically (AuthFile::save); the change token is its stat(2) stamp.
class FileUserStore final : public UserStore {
 public:
  // With `create`, a missing file counts as empty and the first change
  // creates it (sfs-admin user add); otherwise load() fails with kNotFound.
  explicit FileUserStore(std::filesystem::path file, bool create = false)
      : file_(std::move(file)), create_(create) {}

  std::string name() const override { return file_.string(); }
  std::string_view kind() const override { return "auth file"; }
  std::chrono::milliseconds check_interval() const override;
  Result<Snapshot> load() override;
  Result<std::string> change_token() override;
  Result<void> add(const Entry& entry) override;
  Result<void> set_secret(const std::string& name, const std::string& secret) override;
  Result<void> remove(const std::string& name) override;
  Result<void> replace_secret(const std::string& name, const std::string& expected,
                              const std::string& secret) override;
  Result<std::size_t> migrate(
      const std::function<Result<std::string>(std::string_view)>& hash) override;

  const std::filesystem::path& file() const { return file_; }

 private:
  // The auth file; with create_, an empty one when it does not exist.
  Result<AuthFile> read() const;
  // Runs `change` on the file under its lock (and this process's), then
  // saves it when `change` returns true.
  Result<void> edit(const std::function<Result<bool>(AuthFile&)>& change);

  std::filesystem::path file_;
  bool create_;
  // The file's flock serialises processes; this, the threads of one
  // (a server's rehashes).
  std::mutex mutex_;
};

}  // namespace sfs::auth
