#pragma once
// X-Update-Range, the header of sabre's partial update (PATCH with
// Content-Type application/x-sabredav-partialupdate, sabre.io/dav/http-patch):
// where the body's bytes go in the file.
//
//   auto where = parse_update_range(request["X-Update-Range"], content_length);
//   if (!where) -> 400 (malformed) or 416 (bytes=a-b not as long as the body)
//
//   "bytes=a-b"  the body replaces bytes a..b (inclusive): b-a+1 must be
//                the body's length
//   "bytes=a-"   the body goes at offset a
//   "bytes=-n"   the body goes n bytes before the end (n > 0)
//   "append"     the body goes at the end

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace sfs::dav {

inline constexpr std::size_t kMaxUpdateRangeBytes = 256;

struct UpdateRange {
  bool from_end = false;     // `offset` counts back from the file's end
  std::uint64_t offset = 0;  // from the start, or (from_end) back from the end
};

// kBadRequest for a value that does not parse; kTooLarge ("range not as
// long as the body") for "bytes=a-b" whose length is not `body_length`.
Result<UpdateRange> parse_update_range(std::string_view value, std::uint64_t body_length);

}  // namespace sfs::dav
