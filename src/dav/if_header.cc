#include "dav/if_header.h"

namespace sfs::dav {

Result<IfHeader> parse_if_header(std::string_view /*value*/) {
  return make_error(Errc::kInternal, "parse_if_header: not implemented yet");
}

std::vector<std::string> submitted_tokens(const IfHeader& /*header*/) { return {}; }

bool if_header_holds(
    const IfHeader& /*header*/,
    const std::function<std::optional<ResourceState>(std::string_view resource)>& /*state_of*/) {
  return false;
}

}  // namespace sfs::dav
