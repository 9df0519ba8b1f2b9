// Fuzzes the Range header against sizes taken from the input: a partial
// range must lie inside the entity and be non-empty.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dav/range.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t entity = 0;
  if (size >= sizeof entity) {
    std::memcpy(&entity, data, sizeof entity);
    data += sizeof entity;
    size -= sizeof entity;
  }
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  for (std::uint64_t s : {entity, entity % 1000, std::uint64_t{0}}) {
    auto reply = sfs::dav::decide_range(header, s);
    if (reply.kind == sfs::dav::RangeKind::kPartial &&
        (reply.range.length == 0 || reply.range.first >= s ||
         reply.range.length > s - reply.range.first)) {
      std::abort();
    }
  }
  return 0;
}
