// The minimal DAV XML this door writes (multistatus with live properties,
// error bodies) and HTTP dates, until the door moves onto dav/multistatus.h
// (with PROPPATCH and LOCK); escaping is already dav's.

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "dav/multistatus.h"
#include "dav/xml.h"
#include "protocol/percent.h"
#include "server/http/exchange.h"

namespace sfs::http {
namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

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

std::string href_of(std::string_view path, bool is_dir) {
  std::string out(kDavPrefix);
  out += '/';
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (unreserved(u) || c == '/') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned>(u));
    }
  }
  if (is_dir && !path.empty()) {
    out += '/';
  }
  return out;
}

std::string propfind_response(std::string_view path, const storage::DirEntry& entry,
                              std::string_view lockdiscovery) {
  const std::size_t slash = path.rfind('/');
  const std::string_view leaf = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string props = fmt::format("<D:displayname>{}</D:displayname>", dav::xml_escape(leaf));
  props += fmt::format("<D:getlastmodified>{}</D:getlastmodified>", http_date(entry.mtime));
  if (entry.is_dir) {
    props += "<D:resourcetype><D:collection/></D:resourcetype>";
  } else {
    props += "<D:resourcetype/>";
    props += fmt::format("<D:getcontentlength>{}</D:getcontentlength>", entry.size);
    props += "<D:getcontenttype>application/octet-stream</D:getcontenttype>";
    props += fmt::format("<D:getetag>{}</D:getetag>", dav::xml_escape(etag_of(entry)));
  }
  props += fmt::format("<D:supportedlock>{}</D:supportedlock>", dav::supportedlock_xml());
  props += fmt::format("<D:lockdiscovery>{}</D:lockdiscovery>", lockdiscovery);
  return fmt::format(
      "<D:response><D:href>{}</D:href><D:propstat><D:prop>{}</D:prop>"
      "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n",
      dav::xml_escape(href_of(path, entry.is_dir)), props);
}

std::string multistatus(const std::vector<std::string>& responses) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n";
  for (const std::string& r : responses) {
    out += r;
  }
  out += "</D:multistatus>\n";
  return out;
}

std::string dav_error(std::string_view precondition) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:{}/></D:error>\n",
      precondition);
}

}  // namespace sfs::http
