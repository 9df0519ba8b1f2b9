#pragma once
// Percent-encoding of names and passwords into one space-free line field.
//
// Every byte outside 0x21..0x7E, and '%' itself, becomes "%XX".
//   percent_encode("a b%") == "a%20b%25"
//   percent_decode("a%20b") -> "a b";  percent_decode("%zz") -> error

#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::protocol {

std::string percent_encode(std::string_view raw);

// Fails with kBadRequest on a malformed escape or a byte that should have
// been escaped.
Result<std::string> percent_decode(std::string_view field);

}  // namespace sfs::protocol
