// Fuzzes the Destination, Depth and Overwrite headers and the URL path
// codec: a decoded path must encode to a form that decodes back to it.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dav/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  (void)sfs::dav::parse_depth(value, sfs::dav::Depth::kInfinity);
  (void)sfs::dav::parse_overwrite(value);
  auto decoded = sfs::dav::percent_decode_path(value);
  if (decoded) {
    auto back = sfs::dav::percent_decode_path(sfs::dav::percent_encode_path(*decoded));
    if (!back || *back != *decoded) {
      std::abort();
    }
  }
  auto destination = sfs::dav::parse_destination(value);
  if (destination && (destination->path.empty() || destination->path[0] != '/')) {
    std::abort();
  }
  return 0;
}
