#include "dav/lock.h"

namespace sfs::dav {

Result<LockRequest> parse_lock(std::string_view /*body*/) {
  return make_error(Errc::kInternal, "parse_lock: not implemented yet");
}

bool is_lock_token(std::string_view /*token*/) { return false; }

std::chrono::seconds parse_timeout(std::string_view /*header*/) { return kDefaultLockTimeout; }

Result<std::string> parse_lock_token_header(std::string_view /*header*/) {
  return make_error(Errc::kInternal, "parse_lock_token_header: not implemented yet");
}

}  // namespace sfs::dav
