// FileUserStore: the auth file as a UserStore (auth/user_store.h).

#include <string>

#include "auth/user_db_reloader.h"
#include "auth/user_store.h"

namespace sfs::auth {
namespace {

std::string token_of(const FileStamp& stamp) {
  return std::to_string(stamp.error) + ":" + std::to_string(stamp.device) + ":" +
         std::to_string(stamp.inode) + ":" + std::to_string(stamp.size) + ":" +
         std::to_string(stamp.mtime_ns) + ":" + std::to_string(stamp.ctime_ns);
}

Error no_user(const std::string& name) {
  return make_error(Errc::kNotFound, "no such user '" + name + "'");
}

}  // namespace

std::chrono::milliseconds FileUserStore::check_interval() const { return kAuthFileCheckInterval; }

Result<std::string> FileUserStore::change_token() { return token_of(FileStamp::of(file_)); }

Result<AuthFile> FileUserStore::read() const {
  auto file = AuthFile::load(file_);
  if (!file && file.error().code == Errc::kNotFound && create_) {
    return AuthFile::empty(file_);
  }
  return file;
}

Result<UserStore::Snapshot> FileUserStore::load() {
  const FileStamp before = FileStamp::of(file_);
  SFS_ASSIGN_OR_RETURN(const AuthFile file, read());
  // A file written in place may be caught half-written; one replaced by
  // rename (sfs-admin) never is. Whatever was read while it changed is not
  // taken.
  if (FileStamp::of(file_) != before) {
    return make_error(Errc::kIo, "auth file " + file_.string() + " changed while being read");
  }
  return Snapshot{file.entries(), token_of(before)};
}

Result<void> FileUserStore::edit(const std::function<Result<bool>(AuthFile&)>& change) {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto file_lock, AuthFileLock::acquire(file_));
  SFS_ASSIGN_OR_RETURN(AuthFile file, read());
  SFS_ASSIGN_OR_RETURN(const bool changed, change(file));
  if (!changed) {
    return {};
  }
  return file.save();
}

Result<void> FileUserStore::add(const Entry& entry) {
  return edit([&](AuthFile& file) -> Result<bool> {
    if (file.find(entry.name) != nullptr) {
      return make_error(Errc::kExists, "user '" + entry.name + "' already exists");
    }
    file.set(entry.name, entry.secret);
    return true;
  });
}

Result<void> FileUserStore::set_secret(const std::string& name, const std::string& secret) {
  return edit([&](AuthFile& file) -> Result<bool> {
    if (file.find(name) == nullptr) {
      return no_user(name);
    }
    file.set(name, secret);
    return true;
  });
}

Result<void> FileUserStore::remove(const std::string& name) {
  return edit([&](AuthFile& file) -> Result<bool> {
    if (!file.remove(name)) {
      return no_user(name);
    }
    return true;
  });
}

Result<void> FileUserStore::replace_secret(const std::string& name, const std::string& expected,
                                           const std::string& secret) {
  return edit([&](AuthFile& file) -> Result<bool> {
    const Entry* entry = file.find(name);
    if (entry == nullptr || entry->secret != expected) {
      return make_error(Errc::kExists, "user '" + name + "' changed meanwhile");
    }
    file.set(name, secret);
    return true;
  });
}

Result<std::size_t> FileUserStore::migrate(
    const std::function<Result<std::string>(std::string_view)>& hash) {
  std::size_t migrated = 0;
  SFS_RETURN_IF_ERROR(edit([&](AuthFile& file) -> Result<bool> {
    SFS_ASSIGN_OR_RETURN(migrated, file.migrate(hash));
    return migrated > 0;
  }));
  return migrated;
}

}  // namespace sfs::auth
