#pragma once
// Strict decimal numbers for the wire: digits only, no sign, no leading
// zeros, must fit in 64 bits.

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace sfs::protocol {

Result<std::uint64_t> parse_u64(std::string_view text);

}  // namespace sfs::protocol
