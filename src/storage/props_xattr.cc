#include "storage/props_xattr.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <string>

#include "base/unique_fd.h"
#include "storage/beneath.h"
#include "storage/links.h"

namespace sfs::storage {
namespace {

// A record is at most kMaxDeadPropBytes; read a little more so that a
// longer (foreign) one is seen as damaged rather than cut.
constexpr std::size_t kReadBytes = kMaxDeadPropBytes + 1;

// The raw record on `fd`: empty when none; nullopt-like error otherwise.
Result<std::string> read_record(int fd, std::string_view shown) {
  std::string record(kReadBytes, '\0');
  const ssize_t n = ::fgetxattr(fd, kPropsXattr, record.data(), record.size());
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) {
      return std::string();
    }
    if (errno == ERANGE) {
      return make_error(Errc::kIo, "damaged dead-property record: " + std::string(shown));
    }
    return errno_error(errno, shown);
  }
  record.resize(static_cast<std::size_t>(n));
  return record;
}

// Opens the member `name` of `dir_fd` (never through a symlink; O_NONBLOCK
// keeps a FIFO from blocking) and fills `st`; invalid when that fails.
UniqueFd open_member(int dir_fd, const char* name, struct stat& st) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.valid() && ::fstat(fd.get(), &st) != 0) {
    return UniqueFd();
  }
  return fd;
}

}  // namespace

Result<std::vector<DeadProp>> read_props_xattr(int fd, std::string_view shown) {
  SFS_ASSIGN_OR_RETURN(std::string record, read_record(fd, shown));
  return decode_dead_props(record);
}

Result<void> write_props_xattr(int fd, const std::vector<DeadProp>& props, std::string_view shown) {
  if (props.empty()) {
    if (::fremovexattr(fd, kPropsXattr) != 0 && errno != ENODATA && errno != ENOTSUP) {
      return errno_error(errno, shown);
    }
    return {};
  }
  const std::string record = encode_dead_props(props);
  if (::fsetxattr(fd, kPropsXattr, record.data(), record.size(), 0) != 0) {
    if (errno == ENOSPC || errno == E2BIG || errno == ENOTSUP || errno == EDQUOT) {
      return make_error(Errc::kTooLarge,
                        "no room for these dead properties: " + std::string(shown));
    }
    return errno_error(errno, shown);
  }
  return {};
}

void carry_props_xattr(int dir_fd, const char* name, int to_fd) {
  struct stat st {};
  const UniqueFd old = open_member(dir_fd, name, st);
  if (!old.valid() || !S_ISREG(st.st_mode)) {
    return;
  }
  auto record = read_record(old.get(), name);
  if (record && !record->empty()) {
    (void)::fsetxattr(to_fd, kPropsXattr, record->data(), record->size(), 0);
  }
}

std::vector<DeadProp> read_member_props(int dir_fd, const char* name) {
  struct stat st {};
  const UniqueFd fd = open_member(dir_fd, name, st);
  if (!fd.valid() || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) || has_other_links(st)) {
    return {};
  }
  auto props = read_props_xattr(fd.get(), name);
  return props ? std::move(*props) : std::vector<DeadProp>{};
}

}  // namespace sfs::storage
