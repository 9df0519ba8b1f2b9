#pragma once
// Writers for WebDAV response bodies: 207 Multi-Status (RFC 4918 13, 14.16),
// lock discovery (14.11, 15.8) and precondition errors (16).
//
//   MultistatusWriter w;                   // <?xml ...?><D:multistatus ...>
//   Response r{.href = "/dav/a b.txt"};    // decoded; written encoded
//   r.propstats.push_back({.status = 200, .props = {text_prop("DAV:", "getetag", etag)}});
//   w.add(r);
//   send(w.take());                        // flush what is written so far
//   send(w.finish());                      // </D:multistatus>
//
// Output is UTF-8 with the DAV: namespace bound to prefix "D" on the root, so
// raw fragments built here (lockdiscovery_xml, supportedlock_xml) may use
// "D:"; dead property values (PROPPATCH's value_xml) declare their own.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dav/types.h"

namespace sfs::dav {

// One property in a response.
struct PropValue {
  PropName name;
  // Either text (escaped on output) or XML written as is: raw for dead
  // properties (value_xml) and for live ones built here (lockdiscovery).
  std::string value;
  bool raw = false;
  std::string lang;  // xml:lang on the property element, "" for none
  // True for a name only (PROPFIND propname, and properties in a non-200
  // propstat): written as an empty element.
  bool name_only = false;
};

PropValue text_prop(std::string_view ns, std::string_view name, std::string_view text);
PropValue raw_prop(std::string_view ns, std::string_view name, std::string_view xml);
PropValue empty_prop(std::string_view ns, std::string_view name);

struct PropStat {
  int status = 200;  // 200, 403, 404, 409, 424, 507 ...
  std::vector<PropValue> props;
  // A precondition element name for DAV:error in this propstat, e.g.
  // "cannot-modify-protected-property"; "" for none.
  std::string error;
};

// One DAV:response: either propstats (PROPFIND, PROPPATCH) or a status for
// the href alone (DELETE, COPY, MOVE, LOCK failures under a collection).
struct Response {
  std::string href;  // decoded path; written percent-encoded and escaped
  std::vector<PropStat> propstats;
  int status = 0;     // used when propstats is empty
  std::string error;  // precondition element for a status response, or ""
};

class MultistatusWriter {
 public:
  MultistatusWriter();
  // Appends one DAV:response.
  void add(const Response& response);
  // Returns what was written since the last take() (for streaming a large
  // PROPFIND depth 1) and forgets it.
  std::string take();
  // Closes the document and returns the rest of it.
  std::string finish();

 private:
  std::string out_;
  bool finished_ = false;
};

// "HTTP/1.1 200 OK" and friends for <D:status>.
std::string status_line(int status);

// A lock as lockdiscovery and the LOCK response show it.
struct ActiveLock {
  LockScope scope = LockScope::kExclusive;
  Depth depth = Depth::kZero;       // kZero or kInfinity
  std::string owner_xml;            // as parsed (LockRequest::owner_xml)
  std::chrono::seconds timeout{0};  // remaining; written as Second-N
  std::string token;                // "urn:uuid:..." or "opaquelocktoken:..."
  std::string root;                 // decoded path of the locked resource
};

// The content of DAV:lockdiscovery (activelock elements, "D:" prefix), for
// raw_prop(kDavNamespace, "lockdiscovery", ...).
std::string lockdiscovery_xml(const std::vector<ActiveLock>& locks);

// The content of DAV:supportedlock: exclusive and shared write locks.
std::string supportedlock_xml();

// The whole body of a successful LOCK: <D:prop><D:lockdiscovery> with one
// activelock.
std::string lock_response_body(const ActiveLock& lock);

// A DAV:error body (RFC 4918 16) with one precondition element, such as
// "propfind-finite-depth", "lock-token-submitted", "no-conflicting-lock",
// "lock-token-matches-request-uri", "cannot-modify-protected-property";
// `hrefs` (decoded paths) go inside it, as lock-token-submitted and
// no-conflicting-lock may list the locked resources.
std::string error_body(std::string_view precondition, const std::vector<std::string>& hrefs = {});

}  // namespace sfs::dav
