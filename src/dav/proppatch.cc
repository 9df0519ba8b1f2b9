#include "dav/proppatch.h"

namespace sfs::dav {

Result<std::vector<PropPatchOp>> parse_proppatch(std::string_view /*body*/) {
  return make_error(Errc::kInternal, "parse_proppatch: not implemented yet");
}

}  // namespace sfs::dav
