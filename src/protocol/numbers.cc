#include "protocol/numbers.h"

#include <charconv>

namespace sfs::protocol {

Result<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) {
    return make_error(Errc::kBadRequest, "invalid number");
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return make_error(Errc::kBadRequest, "invalid number");
  }
  return value;
}

}  // namespace sfs::protocol
