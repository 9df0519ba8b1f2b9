#include "dav/lock.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include "dav/xml.h"

namespace sfs::dav {
namespace {

bool is_dav(const XmlElement& e, std::string_view name) {
  return e.name.ns == kDavNamespace && e.name.name == name;
}

const XmlElement* dav_child(const XmlElement& e, std::string_view name) {
  return e.child(PropName{std::string(kDavNamespace), std::string(name)});
}

Result<LockScope> scope_of(const XmlElement& lockinfo) {
  const XmlElement* scope = dav_child(lockinfo, "lockscope");
  if (scope == nullptr || scope->children.size() != 1) {
    return make_error(Errc::kBadRequest, "LOCK body: needs one DAV:lockscope value");
  }
  if (is_dav(scope->children[0], "exclusive")) {
    return LockScope::kExclusive;
  }
  if (is_dav(scope->children[0], "shared")) {
    return LockScope::kShared;
  }
  return make_error(Errc::kBadRequest, "LOCK body: lockscope is neither exclusive nor shared");
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// 8-4-4-4-12 hex digits.
bool is_uuid(std::string_view s) {
  static constexpr std::size_t kGroups[] = {8, 4, 4, 4, 12};
  std::size_t at = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    if (s.size() < at + kGroups[i] || !is_hex(s.substr(at, kGroups[i]))) {
      return false;
    }
    at += kGroups[i];
    if (i < 4) {
      if (at >= s.size() || s[at] != '-') {
        return false;
      }
      ++at;
    }
  }
  return at == s.size();
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

// One Timeout entry: Second-N or Infinite; nullopt when not understood.
std::optional<std::chrono::seconds> timeout_entry(std::string_view entry) {
  if (entry == "Infinite" || entry == "infinite") {
    return kMaxLockTimeout;
  }
  if (!starts_with_nocase(entry, "Second-")) {
    return std::nullopt;
  }
  std::string_view digits = entry.substr(7);
  if (digits.empty() || digits.size() > 12 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  for (char c : digits) {
    n = n * 10 + (c - '0');
  }
  return std::clamp(std::chrono::seconds(n), std::chrono::seconds(1), kMaxLockTimeout);
}

}  // namespace

Result<LockRequest> parse_lock(std::string_view body) {
  SFS_ASSIGN_OR_RETURN(XmlElement root, parse_xml(body));
  if (!is_dav(root, "lockinfo")) {
    return make_error(Errc::kBadRequest, "LOCK body: the root is not DAV:lockinfo");
  }
  LockRequest req;
  SFS_ASSIGN_OR_RETURN(req.scope, scope_of(root));
  const XmlElement* type = dav_child(root, "locktype");
  if (type == nullptr || type->children.size() != 1 || !is_dav(type->children[0], "write")) {
    return make_error(Errc::kBadRequest, "LOCK body: locktype is not DAV:write");
  }
  if (const XmlElement* owner = dav_child(root, "owner"); owner != nullptr) {
    req.owner_xml = serialize_content(*owner);
  }
  return req;
}

bool is_lock_token(std::string_view token) {
  static constexpr std::string_view kOpaque = "opaquelocktoken:";
  static constexpr std::string_view kUrn = "urn:uuid:";
  if (token.starts_with(kUrn)) {
    return is_uuid(token.substr(kUrn.size()));
  }
  if (!token.starts_with(kOpaque)) {
    return false;
  }
  // RFC 4918 C: the uuid may be followed by an extension (path segments).
  std::string_view rest = token.substr(kOpaque.size());
  return rest.size() >= 36 && is_uuid(rest.substr(0, 36)) &&
         std::none_of(rest.begin(), rest.end(), [](char c) {
           return static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == 0x7f;
         });
}

std::chrono::seconds parse_timeout(std::string_view header) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view entry = trim(header.substr(0, comma));
    if (auto t = timeout_entry(entry)) {
      return *t;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    header.remove_prefix(comma + 1);
  }
  return kDefaultLockTimeout;
}

Result<std::string> parse_lock_token_header(std::string_view header) {
  header = trim(header);
  if (header.size() < 2 || header.front() != '<' || header.back() != '>') {
    return make_error(Errc::kBadRequest, "Lock-Token: expected <token>");
  }
  std::string_view token = header.substr(1, header.size() - 2);
  if (!is_lock_token(token)) {
    return make_error(Errc::kBadRequest, "Lock-Token: not a lock token");
  }
  return std::string(token);
}

}  // namespace sfs::dav
