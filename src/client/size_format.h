#pragma once
// Sizes as `ls -h` prints them: "512", "1.5K", "23M", "4.2G" (powers of
// 1024, one decimal below 10, rounded up as ls rounds so a size never looks
// smaller than it is).
//
//   human_size(1536)   // "1.5K"

#include <cstdint>
#include <string>

namespace sfs::client {

std::string human_size(std::uint64_t bytes);

}  // namespace sfs::client
