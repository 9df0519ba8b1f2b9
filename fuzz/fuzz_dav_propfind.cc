// Fuzzes PROPFIND bodies: the XML reader's limits (depth, elements, size,
// DOCTYPE refusal) and the propfind rules. Whatever parses as a list of
// properties must name each one with a non-empty local name.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dav/propfind.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = sfs::dav::parse_propfind(body);
  if (!request) {
    return 0;
  }
  for (const auto& name : request->props) {
    if (name.name.empty()) {
      std::abort();
    }
  }
  return 0;
}
