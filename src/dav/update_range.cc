#include "dav/update_range.h"

#include <charconv>
#include <optional>

namespace sfs::dav {
namespace {

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

Error malformed() { return make_error(Errc::kBadRequest, "malformed X-Update-Range"); }

}  // namespace

Result<UpdateRange> parse_update_range(std::string_view value, std::uint64_t body_length) {
  if (value.size() > kMaxUpdateRangeBytes) {
    return malformed();
  }
  if (value == "append") {
    return UpdateRange{true, 0};
  }
  constexpr std::string_view kUnit = "bytes=";
  const std::size_t dash = value.find('-');
  if (!value.starts_with(kUnit) || dash == std::string_view::npos) {
    return malformed();
  }
  const std::string_view first = value.substr(kUnit.size(), dash - kUnit.size());
  const std::string_view last = value.substr(dash + 1);
  if (first.empty()) {  // the last n bytes
    const auto n = number(last);
    if (!n || *n == 0) {
      return malformed();
    }
    return UpdateRange{true, *n};
  }
  const auto start = number(first);
  if (!start) {
    return malformed();
  }
  if (last.empty()) {
    return UpdateRange{false, *start};
  }
  const auto end = number(last);
  if (!end || *end < *start) {
    return malformed();
  }
  if (*end - *start != body_length - 1 || body_length == 0) {
    return make_error(Errc::kTooLarge, "range not as long as the body");
  }
  return UpdateRange{false, *start};
}

}  // namespace sfs::dav
