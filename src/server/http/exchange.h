#pragma once
// Internal to the HTTPS door: one request being served, and the pieces the
// door's files share (Beast's types, replies, the minimal DAV XML).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"  // first: it includes <utility> before Boost.Asio
#include "base/result.h"
#include "files/user_files.h"
#include "net/connection.h"
#include "server/http/door.h"
#include "storage/entries.h"

namespace sfs::http {

namespace beast = boost::beast;
namespace bh = boost::beast::http;

struct Exchange;

using Header = bh::request<bh::empty_body>;
using HeaderParser = bh::request_parser<bh::empty_body>;
using Response = bh::response<bh::string_body>;

// Beast's string_view (Boost's, in 1.74) as a std::string_view.
inline std::string_view sv(beast::string_view v) { return {v.data(), v.size()}; }
// ASCII case-insensitive equality (header values such as "100-continue").
bool iequal(std::string_view a, std::string_view b);
// The value of the request's header `name`; empty when absent.
std::string_view field(const Exchange& ex, std::string_view name);

// Where the WebDAV tree starts in URLs.
inline constexpr std::string_view kDavPrefix = "/dav";
// The piece of a body moved to or from the files at once.
inline constexpr std::size_t kBodyPieceBytes = std::size_t{64} << 10;
// What each body piece may always hold outside the transfer memory budget:
// a transfer goes on (in smaller pieces) when the budget is spent, and the
// door's memory stays bounded by the connection limits times this plus the
// budget, as the sfs door's.
inline constexpr std::size_t kFreePieceBytes = std::size_t{16} << 10;

struct Exchange {
  net::Connection& connection;
  beast::flat_buffer& buffer;
  HeaderParser& parser;
  files::UserFiles& files;
  files::LockTable& locks;
  files::UploadTable& uploads;
  net::MemoryBudget& memory;  // body pieces beyond kFreePieceBytes come from here
  const Settings& settings;
  Header header;            // the request's line and fields (the parser moves on)
  std::string body;         // a small body read whole (every method but PUT)
  std::string path;         // decoded, relative to the user's space ("" is the root)
  bool keep_alive = true;   // false: the connection closes after the reply
  std::uint64_t bytes = 0;  // body bytes moved, for the log
  // Set by the browser app (app.cc): its Content-Security-Policy, and the
  // Content-Disposition of a download. Empty for WebDAV.
  std::string_view csp;
  std::string disposition = "attachment";
  bool hsts = false;
  // The locks on the resource and beneath it, for PROPFIND's
  // DAV:lockdiscovery (load_locks).
  std::vector<files::Lock> known_locks;

  const Header& request() const { return header; }
};

// Serves one authenticated request; returns the status sent, or kNetwork
// when the connection broke (then it is closed).
awaitable<Result<unsigned>> dispatch(Exchange& ex);

// A reply with a small body (and the headers every reply carries).
Response make_response(const Exchange& ex, bh::status status, std::string body = {},
                       std::string_view content_type = "text/plain; charset=utf-8");
// Writes `response` under the io deadline.
// Takes `response` by reference (it outlives the co_await's full
// expression): GCC 12 destroys some temporaries passed by value to a
// co_await'ed coroutine twice.
awaitable<Result<unsigned>> send(Exchange& ex, Response&& response);
// The headers every reply carries (no sniffing, no framing).
void add_safety_headers(bh::fields& fields);
// Those, and the app's (app.h) when `ex` is the app's.
void add_reply_headers(const Exchange& ex, bh::fields& fields);
// Writes `response` (its payload prepared) under `timeout`; the status sent,
// or kNetwork.
awaitable<Result<unsigned>> write_response(net::Connection& connection, Response& response,
                                           std::chrono::seconds timeout);
// Reads the body of the request whose header `parser` read, whole, up to
// `limit` bytes: kTooLarge beyond, kNetwork when the connection broke.
awaitable<Result<std::string>> read_body_whole(net::Connection& connection,
                                               beast::flat_buffer& buffer, HeaderParser& parser,
                                               std::size_t limit, std::chrono::seconds timeout);

// Maps a UserFiles error to a status.
bh::status status_of(const Error& error);

// Streams `length` bytes of `file` (positioned) to the peer; with `check`,
// the bitrot check runs before the last piece goes (a damaged file is cut
// off short, which the client sees as an incomplete body).
awaitable<Result<void>> send_file(Exchange& ex, files::Download& file, std::uint64_t length,
                                  bool check);
// Reads the request's body (its header already read) into `upload`.
awaitable<Result<void>> receive_body(Exchange& ex, files::Upload& upload);
// Reads a small body whole (up to settings.max_xml_body_bytes); kTooLarge
// beyond, kNetwork when the connection broke.
awaitable<Result<std::string>> read_small_body(Exchange& ex);

// HTTP dates and ETags (dav_xml.cc).
std::string http_date(std::int64_t seconds);
std::optional<std::int64_t> parse_http_date(std::string_view text);
std::string etag_of(const storage::DirEntry& entry);

// Basic credentials (basic_auth.cc).
struct Credentials {
  std::string user;
  std::string password;
};
// Parses "Basic <base64(user:password)>"; nullopt when malformed.
std::optional<Credentials> parse_basic(std::string_view header);

}  // namespace sfs::http

namespace sfs::http {

// The entry at `path`; the root ("") is a collection.
awaitable<Result<storage::DirEntry>> stat_path(files::UserFiles& files, const std::string& path);
// Removes a file, or a collection and all it holds.
awaitable<Result<void>> remove_any(files::UserFiles& files, const std::string& path, bool is_dir);
// A reply for a UserFiles error (status_of) with its message as the body.
awaitable<Result<unsigned>> send_error(Exchange& ex, const Error& error);

awaitable<Result<unsigned>> copy_or_move(Exchange& ex, bool move);
awaitable<Result<unsigned>> put(Exchange& ex);
awaitable<Result<unsigned>> patch(Exchange& ex);

// tus 1.0 under /tus/ (tus.cc): true for a request target there; serves
// such a request (its body, if any, is read or left by it).
bool is_tus_target(std::string_view target);
awaitable<Result<unsigned>> tus(Exchange& ex);

// The conditional headers (RFC 9110 13.2.2 order): 412 or 304 to answer
// instead, or nullopt to go on. `entry` is null when nothing is there;
// `get` for GET and HEAD (304 rather than 412).
std::optional<bh::status> precondition(const Exchange& ex, const storage::DirEntry* entry,
                                       bool get);

// PROPFIND and PROPPATCH (properties.cc).
awaitable<Result<unsigned>> propfind(Exchange& ex);
awaitable<Result<unsigned>> proppatch(Exchange& ex);

// The Destination header as a path in the user's space (copy_move.cc):
// kBadRequest when missing or malformed, kBadPath when elsewhere.
Result<std::string> destination_of(const Exchange& ex);
// A URL of this door (absolute on the request's Host, or a path) as a path
// in the user's space; kBadPath when it names another place.
Result<std::string> path_of_url(const Exchange& ex, std::string_view url);

// WebDAV locks (locks.cc).
// What a method writes: nothing, one resource, or a resource and all
// beneath it (DELETE, MOVE, an overwritten Destination).
enum class Reach { kNone, kResource, kTree };
// Before a method runs: evaluates the If header (400 when malformed, 412
// when false) and, for a method that writes, refuses with 423
// lock-token-submitted when a lock on what it writes (the request's
// resource as `target` says, COPY/MOVE's Destination as `destination`)
// lacks its token in If. Returns the refusal sent, or nullopt to go on.
awaitable<std::optional<Result<unsigned>>> check_locks(Exchange& ex, Reach target,
                                                       Reach destination);
// After a method: a deleted or moved tree (`target` kTree, a 2xx `status`)
// takes its locks along.
awaitable<void> forget_locks(Exchange& ex, Reach target, unsigned status);
// Before a PROPFIND: reads the locks on the request's resource and beneath
// it into ex.known_locks (one call of the table, a database's off the
// network threads). kIo when the table is away.
awaitable<Result<void>> load_locks(Exchange& ex);
// The content of DAV:lockdiscovery for `path` (activelock elements), from
// ex.known_locks.
std::string lockdiscovery_of(Exchange& ex, std::string_view path);
awaitable<Result<unsigned>> lock(Exchange& ex);
awaitable<Result<unsigned>> unlock(Exchange& ex);

}  // namespace sfs::http
