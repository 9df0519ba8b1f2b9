#include "auth/user_name.h"

namespace sfs::auth {

bool is_valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace sfs::auth
