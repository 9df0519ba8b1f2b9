#pragma once
// The Range request header for GET (RFC 9110 14.2), bytes only.
//
//   RangeReply r = decide_range(request["Range"], file_size);
//   switch (r.kind) {
//     case RangeKind::kWhole: 200 with the whole body
//     case RangeKind::kPartial: 206, Content-Range: content_range(r.range, size)
//     case RangeKind::kUnsatisfiable: 416, Content-Range: unsatisfied_range(size)
//   }
//
// Never fails: a header that does not parse, another unit than bytes, or
// several ranges (which would need multipart/byteranges) all give kWhole,
// which RFC 9110 allows (a server may ignore Range).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sfs::dav {

inline constexpr std::size_t kMaxRangeHeaderBytes = 1024;

enum class RangeKind {
  kWhole,          // no Range, or one to ignore: answer 200 with everything
  kPartial,        // one satisfiable range: answer 206 with `range`
  kMultiple,       // several ranges: answer 200 with everything (no multipart)
  kUnsatisfiable,  // one range wholly beyond the end: answer 416
};

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;  // never 0 for kPartial
};

struct RangeReply {
  RangeKind kind = RangeKind::kWhole;
  ByteRange range;  // set for kPartial
};

// `header` is the Range value ("" when absent); `size` the entity's size.
// "bytes=a-b" (b clamped to size-1), "bytes=a-" and "bytes=-n" (the last n
// bytes; n larger than size means all of it). A multi-range header where
// every range is unsatisfiable gives kUnsatisfiable; otherwise kMultiple.
RangeReply decide_range(std::string_view header, std::uint64_t size);

// "bytes first-last/size" for a 206.
std::string content_range(ByteRange range, std::uint64_t size);

// "bytes */size" for a 416.
std::string unsatisfied_range(std::uint64_t size);

}  // namespace sfs::dav
