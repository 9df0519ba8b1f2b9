#pragma once
// What a user name may be: 1-32 bytes of [A-Za-z0-9._-], not starting with
// '.' or '-'. It becomes a directory name, so this is a security rule.

#include <string_view>

namespace sfs::auth {

bool is_valid_user_name(std::string_view name);

}  // namespace sfs::auth
