#include "client/size_format.h"

#include <cmath>
#include <cstdio>

namespace sfs::client {

std::string human_size(std::uint64_t bytes) {
  constexpr const char* kUnits = "KMGTPE";
  if (bytes < 1024) {
    return std::to_string(bytes);
  }
  auto value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (value < 10) {
    const double tenths = std::ceil(value * 10) / 10;
    if (tenths < 10) {
      std::snprintf(text, sizeof(text), "%.1f%c", tenths, kUnits[unit]);
      return text;
    }
  }
  std::snprintf(text, sizeof(text), "%.0f%c", std::ceil(value), kUnits[unit]);
  return text;
}

}  // namespace sfs::client
