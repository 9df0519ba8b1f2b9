#pragma once
// LOCK request bodies, lock tokens and the Timeout header (RFC 4918 9.10,
// 10.5, 10.7, 14.11).
//
//   if (body.empty()) { refresh: the token comes from the If header }
//   SFS_ASSIGN_OR_RETURN(LockRequest req, parse_lock(body));
//   SFS_ASSIGN_OR_RETURN(std::chrono::seconds ttl, parse_timeout(headers["Timeout"]));
//
// Generating tokens needs randomness, which is the caller's (I/O); only
// their syntax is checked here.

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"
#include "dav/types.h"

namespace sfs::dav {

// Lock lifetimes: what a client gets when it asks for Infinite or nothing,
// and the most it can ask for.
inline constexpr std::chrono::seconds kDefaultLockTimeout{600};
inline constexpr std::chrono::seconds kMaxLockTimeout{3600};

struct LockRequest {
  LockScope scope = LockScope::kExclusive;
  // The DAV:owner element's content as standalone XML (serialize_content),
  // "" when absent; given back in lockdiscovery.
  std::string owner_xml;
};

// Parses a LOCK body that creates a lock (an empty body is a refresh, which
// the caller tells apart before calling). Fails with kBadRequest unless the
// root is DAV:lockinfo with a lockscope of exclusive or shared and a
// locktype of write; and as parse_xml fails.
Result<LockRequest> parse_lock(std::string_view body);

// True for "opaquelocktoken:<uuid>[extension]" (RFC 4918 appendix C) and
// "urn:uuid:<uuid>" (RFC 4122), with a uuid of 8-4-4-4-12 hex digits.
bool is_lock_token(std::string_view token);

// The Timeout header: "Second-N" or "Infinite", possibly a comma-separated
// list of which the first understood one wins. Returns it clamped to
// [1 s, kMaxLockTimeout]; Infinite gives kMaxLockTimeout; an empty header or
// nothing understood gives kDefaultLockTimeout. Never fails: a client's odd
// wish is not an error (RFC 4918 10.7 lets the server choose).
std::chrono::seconds parse_timeout(std::string_view header);

// The Lock-Token header of UNLOCK: "<token>". Returns the token without the
// brackets; fails with kBadRequest when the brackets are missing or the
// token fails is_lock_token.
Result<std::string> parse_lock_token_header(std::string_view header);

}  // namespace sfs::dav
