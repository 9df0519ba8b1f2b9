#pragma once
// The small WebDAV request headers: Depth, Overwrite and Destination
// (RFC 4918 10.2, 10.3, 10.6), and the URL path codec they and the
// multistatus hrefs need.
//
//   SFS_ASSIGN_OR_RETURN(Depth depth, parse_depth(request["Depth"], Depth::kInfinity));
//   SFS_ASSIGN_OR_RETURN(bool overwrite, parse_overwrite(request["Overwrite"]));
//   SFS_ASSIGN_OR_RETURN(Destination dest, parse_destination(request["Destination"]));
//   if (!dest.authority.empty() && dest.authority != request_host) reply 502;
//   SFS_ASSIGN_OR_RETURN(std::string path, percent_decode_path(dest.path));
//
// Bad values fail with kBadRequest (the door answers 400). dav may not
// include protocol/ (the arrows), so it has its own small URL codec: URL
// paths encode differently from the sfs protocol's line fields anyway.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "dav/types.h"

namespace sfs::dav {

inline constexpr std::size_t kMaxUrlBytes = 8192;

// "0", "1" or "infinity" (case-insensitive); "" (header absent) gives
// `absent`, which differs by method (PROPFIND and COPY: infinity).
Result<Depth> parse_depth(std::string_view value, Depth absent);

// "T" or "F"; "" (absent) gives true, as RFC 4918 10.6 says.
Result<bool> parse_overwrite(std::string_view value);

// A Destination header split into its parts, nothing decoded or checked
// against the request: whether the scheme and authority are this server's is
// the caller's question.
struct Destination {
  std::string scheme;     // "https", "http", or "" for an absolute path
  std::string authority;  // "host:port" as sent (lower-cased host), "" for a path
  std::string path;       // starts with '/', still percent-encoded, no query
};

// Accepts "scheme://authority/path" ("scheme://authority" means path "/")
// and "/path"; a query or fragment is dropped. Fails with kBadRequest when
// empty, longer than kMaxUrlBytes, relative, with userinfo ('@') in the
// authority, or holding a control character or space.
Result<Destination> parse_destination(std::string_view value);

// Decodes %XX escapes once ("%2541" -> "%41"). Fails with kBadPath on a
// malformed escape, on a decoded NUL and when the result is not valid UTF-8;
// '+' stays '+'. Does not resolve "." or ".." (the path rules do that).
Result<std::string> percent_decode_path(std::string_view path);

// Encodes a decoded path for an href: every byte outside the RFC 3986
// unreserved set and "/" (and sub-delims that are safe in a path: !$&'()*+,;=
// :@) becomes %XX, so "a b%.txt" -> "a%20b%25.txt" and UTF-8 bytes are
// escaped.
std::string percent_encode_path(std::string_view path);

}  // namespace sfs::dav
