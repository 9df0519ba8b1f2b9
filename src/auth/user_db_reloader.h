#pragma once
// Keeps a UserDb in step with its UserStore while the server runs: reloads
// it when the store changes or when asked (SIGHUP).
//
// An auth file's change is seen by stat(2): device, inode, size, mtime and ctime. Polled,
// not watched with inotify: one stat a check costs nothing, it sees every
// kind of change (sfs-admin's atomic rename, an editor writing in place, a
// restored backup) on every filesystem (NFS and bind mounts included, where
// inotify misses changes made elsewhere) and in any sandbox, and holds no
// descriptor. The price is a delay of up to kAuthFileCheckInterval; SIGHUP
// applies a change at once.
//
//   UserDbReloader reloader(users, store, snapshot.token);  // users just loaded from it
//   every store.check_interval(): if (auto done = reloader.check(false)) log(*done);
//   on SIGHUP:            log(*reloader.check(true));
//
// Not thread-safe: call check() from one thread at a time (the UserDb
// itself may be used by any thread meanwhile).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "auth/user_db.h"
#include "auth/user_store.h"
#include "base/result.h"

namespace sfs::auth {

// How often a running server looks at its auth file; sfs-admin tells its
// user, so it lives here once.
inline constexpr std::chrono::seconds kAuthFileCheckInterval{2};

// What stat(2) says about a file, as far as a change goes. Two stamps are
// equal when nothing seen has changed.
struct FileStamp {
  int error = 0;  // errno of a failed stat (ENOENT: missing), else 0
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  static FileStamp of(const std::filesystem::path& file);
  bool operator==(const FileStamp&) const = default;
};

class UserDbReloader {
 public:
  // `users` was loaded from `store` at change token `loaded` (taken with
  // the load, so that a change during the load is reloaded); both must
  // outlive this object.
  UserDbReloader(UserDb& users, UserStore& store, std::string loaded);

  // Reloads when the store changed since the last check, or always when
  // `force`d. nullopt: unchanged, nothing done. Otherwise the changes
  // applied, or why the store was not taken (the users stay as they were):
  // the load's error (missing, unreadable, malformed: "FILE:LINE: why", the
  // database down), or kIo when it changed while being read (it is read
  // again at the next check). A store that failed is not read again until
  // it changes, so one bad file logs one error, not one per check; a store
  // that cannot even say whether it changed (the database down) is asked
  // again at each check and its error reported once until it answers.
  std::optional<Result<UserDb::Changes>> check(bool force);

  UserStore& store() const { return store_; }

 private:
  UserDb& users_;
  UserStore& store_;
  std::string seen_;
  bool token_failing_ = false;  // change_token() failed at the last check
};

}  // namespace sfs::auth
