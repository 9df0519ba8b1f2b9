#pragma once
// The If request header (RFC 4918 10.4) and its evaluation.
//
//   If: (<urn:uuid:...> ["etag"]) (Not <DAV:no-lock>)
//   If: <https://host/dav/a> (<opaquelocktoken:...>)
//
//   SFS_ASSIGN_OR_RETURN(IfHeader h, parse_if_header(value));
//   for (const std::string& t : submitted_tokens(h)) ...   // lock-token-submitted
//   if (!if_header_holds(h, state_of)) reply 412;
//
// Bounded: a header longer than kMaxIfHeaderBytes or with more than
// kMaxIfConditions conditions fails with kTooLarge; bad syntax (including
// mixing tagged and untagged lists) with kBadRequest.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::dav {

inline constexpr std::size_t kMaxIfHeaderBytes = 8192;
inline constexpr std::size_t kMaxIfConditions = 64;

struct IfCondition {
  enum class Kind { kStateToken, kEntityTag };
  Kind kind = Kind::kStateToken;
  bool negated = false;  // "Not"
  // kStateToken: the URI between < and >; kEntityTag: the entity tag between
  // [ and ], quotes and any W/ kept ("\"abc\"", "W/\"abc\"").
  std::string value;
};

// A parenthesised list: true when every condition is.
struct IfList {
  std::vector<IfCondition> conditions;
};

// Lists for one resource: `resource` is the tag's URL as sent (absolute URL
// or path, not decoded), "" for untagged lists (the request's resource).
struct IfGroup {
  std::string resource;
  std::vector<IfList> lists;
};

struct IfHeader {
  bool tagged = false;
  std::vector<IfGroup> groups;  // untagged: exactly one group, resource ""
};

Result<IfHeader> parse_if_header(std::string_view value);

// Every state token in the header, negated or not, in order, without
// duplicates: the tokens the client submitted (for lock-token-submitted).
std::vector<std::string> submitted_tokens(const IfHeader& header);

// What a condition is checked against.
struct ResourceState {
  std::string etag;                      // quoted, as sent in ETag; "" if none
  std::vector<std::string> lock_tokens;  // the locks that cover the resource
};

// Evaluates the header (RFC 4918 10.4.3): true when at least one list is
// true. `state_of(resource)` gives the state of a group's resource ("" for
// the request's); nullopt when it does not exist or is not on this server,
// so that its conditions are false (and "Not" ones true). An entity tag
// matches only strongly; DAV:no-lock matches no resource.
bool if_header_holds(
    const IfHeader& header,
    const std::function<std::optional<ResourceState>(std::string_view resource)>& state_of);

}  // namespace sfs::dav
