#include "dav/headers.h"

namespace sfs::dav {

Result<Depth> parse_depth(std::string_view /*value*/, Depth absent) { return absent; }

Result<bool> parse_overwrite(std::string_view /*value*/) { return true; }

Result<Destination> parse_destination(std::string_view /*value*/) {
  return make_error(Errc::kInternal, "parse_destination: not implemented yet");
}

Result<std::string> percent_decode_path(std::string_view /*path*/) {
  return make_error(Errc::kInternal, "percent_decode_path: not implemented yet");
}

std::string percent_encode_path(std::string_view path) { return std::string(path); }

}  // namespace sfs::dav
