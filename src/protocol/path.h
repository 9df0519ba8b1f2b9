#pragma once
// Rules for remote paths (docs/protocol.md, "Remote paths").
//
// validate_remote_path("docs/a.txt") -> ok
// validate_remote_path("../etc/passwd") -> kBadPath

#include <string_view>

#include "base/result.h"

namespace sfs::protocol {

// Checks a decoded remote path. Returns kBadPath with a short reason.
Result<void> validate_remote_path(std::string_view path);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace sfs::protocol
