#include "dav/range.h"

namespace sfs::dav {

RangeReply decide_range(std::string_view /*header*/, std::uint64_t /*size*/) { return {}; }

std::string content_range(ByteRange /*range*/, std::uint64_t /*size*/) { return {}; }

std::string unsatisfied_range(std::uint64_t /*size*/) { return {}; }

}  // namespace sfs::dav
