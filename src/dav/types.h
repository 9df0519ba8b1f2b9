#pragma once
// Vocabulary shared by the WebDAV parsers and writers: property names, the
// Depth header's values and lock scopes. Plain values, no behaviour.

#include <compare>
#include <string>
#include <string_view>

namespace sfs::dav {

// The namespace of RFC 4918's own elements and properties.
inline constexpr std::string_view kDavNamespace = "DAV:";

// A property (or element) name resolved to its namespace URI: `<D:getetag>`
// with xmlns:D="DAV:" is {"DAV:", "getetag"} whatever the prefix was. An
// empty `ns` is an element in no namespace (xmlns="").
struct PropName {
  std::string ns;
  std::string name;

  friend auto operator<=>(const PropName&, const PropName&) = default;
  friend bool operator==(const PropName&, const PropName&) = default;
};

// The Depth header (RFC 4918 10.2).
enum class Depth { kZero, kOne, kInfinity };

// A LOCK's scope (RFC 4918 14.13); write is the only lock type there is.
enum class LockScope { kExclusive, kShared };

}  // namespace sfs::dav
