#include "server/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/errno_error.h"

namespace sfs::server {
namespace {

Result<passwd> look_up(const std::string& user) {
  const passwd* pw =
      ::getpwnam(user.c_str());  // NOLINT(concurrency-mt-unsafe): at start, one thread
  if (pw == nullptr) {
    return make_error(Errc::kInternal, "no such user '" + user + "' for --run-as");
  }
  if (pw->pw_uid == 0) {
    return make_error(Errc::kInternal, "--run-as must name a user other than root");
  }
  return *pw;
}

Error failed(const std::string& what) { return errno_error(Errc::kInternal, what, errno); }

}  // namespace

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  return limit.rlim_cur;
}

bool running_as_root() { return ::geteuid() == 0; }

Result<void> hand_over_storage(const std::string& user, const std::filesystem::path& storage) {
  SFS_ASSIGN_OR_RETURN(auto pw, look_up(user));
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(storage, ec), end;  // symlinks not followed
  if (ec) {
    return make_error(Errc::kInternal, "cannot walk " + storage.string() + ": " + ec.message());
  }
  auto give = [&](const std::filesystem::path& path) -> Result<void> {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_uid == 0 &&
        ::lchown(path.c_str(), pw.pw_uid, pw.pw_gid) != 0) {
      return failed("cannot give " + path.string() + " to " + user);
    }
    return {};
  };
  SFS_RETURN_IF_ERROR(give(storage));
  for (; it != end; it.increment(ec)) {
    SFS_RETURN_IF_ERROR(give(it->path()));
  }
  return {};
}

Result<void> drop_privileges(const std::string& user) {
  SFS_ASSIGN_OR_RETURN(auto pw, look_up(user));
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw.pw_gid) != 0 || ::setuid(pw.pw_uid) != 0) {
    return failed("cannot switch to user " + user);
  }
  if (::setuid(0) == 0 || ::geteuid() == 0) {
    return make_error(Errc::kInternal, "could regain root after switching to " + user);
  }
  return {};
}

}  // namespace sfs::server
