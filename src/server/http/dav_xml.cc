// HTTP dates and ETags for the door's replies and live properties (the
// DAV XML itself is written by dav/multistatus.h).

#include <fmt/format.h>

#include <ctime>

#include "server/http/exchange.h"

namespace sfs::http {

std::string http_date(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  const std::size_t n = std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(out, n);
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  const std::string copy(text);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string etag_of(const storage::DirEntry& entry) {
  if (!entry.digest.empty()) {
    return "\"" + entry.digest + "\"";
  }
  // A file stored before digests: weak, from what stat says.
  return fmt::format("W/\"{:x}-{:x}\"", entry.size, entry.mtime);
}

}  // namespace sfs::http
