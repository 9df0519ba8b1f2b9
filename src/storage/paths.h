#pragma once
// The path rules every storage backend enforces on the relative paths it is
// given (pure string work, no system calls): no empty or absolute path, no
// NUL, no empty, "." or ".." component, and no component starting with the
// reserved prefix ".sfs-" (the server's hidden upload files).

#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace sfs::storage {

// Splits "a/b/c" into {"a/b", "c"} and "c" into {".", "c"}.
std::pair<std::string, std::string> split_parent(std::string_view relative);

// Light re-check of a path the protocol core already validated: storage does
// not rely on its callers for the rules it depends on. kBadPath "invalid
// path" when `relative` breaks one of the rules above.
Result<void> check_relative(std::string_view relative);

}  // namespace sfs::storage
