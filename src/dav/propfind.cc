#include "dav/propfind.h"

namespace sfs::dav {

Result<PropfindRequest> parse_propfind(std::string_view /*body*/) {
  return make_error(Errc::kInternal, "parse_propfind: not implemented yet");
}

}  // namespace sfs::dav
