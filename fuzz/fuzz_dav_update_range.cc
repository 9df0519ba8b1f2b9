// Fuzzes sabre's X-Update-Range header against body lengths taken from the
// input: a range that parses with "bytes=a-b" must be as long as the body.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dav/update_range.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t length = 0;
  if (size >= sizeof length) {
    std::memcpy(&length, data, sizeof length);
    data += sizeof length;
    size -= sizeof length;
  }
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  for (std::uint64_t n : {length, length % 1000, std::uint64_t{0}}) {
    auto range = sfs::dav::parse_update_range(header, n);
    if (!range) {
      continue;
    }
    // Only "append" counts 0 back from the end; "bytes=-n" needs n > 0;
    // nothing longer than the limit parses.
    const bool append = header == "append";
    if (header.size() > sfs::dav::kMaxUpdateRangeBytes ||
        (range->from_end && range->offset == 0) != append ||
        (range->from_end && !append && !header.starts_with("bytes=-"))) {
      std::abort();
    }
  }
  return 0;
}
