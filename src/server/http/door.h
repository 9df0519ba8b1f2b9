#pragma once
// The HTTPS door: HTTP/1.1 over one TLS connection, WebDAV under /dav/
// (docs/webdav.md). It parses requests with Beast under named limits,
// logs users in with HTTP Basic through the one auth::Authenticator (the
// identity is kept for the connection after a success), and serves the
// methods through files::UserFiles. It knows nothing of the server that
// accepted the connection: what it needs comes in Services.
//
//   auto c = std::make_shared<net::Connection>(std::move(socket), tls, io_timeout);
//   c->start_watchdog();
//   co_await http::serve(c, {peer, source}, settings, services);
//   c->close();

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "asio/asio.h"
#include "auth/authenticator.h"
#include "auth/web_sessions.h"
#include "base/result.h"
#include "files/lock_table.h"
#include "files/upload_table.h"
#include "files/user_files.h"
#include "net/connection.h"
#include "net/memory_budget.h"

namespace sfs::http {

struct Settings {
  // Request line and headers together (Beast's header_limit): beyond, 431.
  std::size_t max_header_bytes = 16384;
  // Bodies the server reads whole (PROPFIND and the like): beyond, 413.
  std::size_t max_xml_body_bytes = std::size_t{1} << 20;
  std::chrono::seconds handshake_timeout{10};
  // From the handshake to a logged-in request, headers included: a slow
  // sender of headers is cut here.
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};  // keep-alive: between requests
  std::chrono::seconds io_timeout{60};     // one read or write of a body
  unsigned max_login_attempts = 3;         // failed checks per connection
  // Requests without credentials per connection before it is closed (a
  // client's first request usually has none and gets the 401).
  unsigned max_unauthenticated_requests = 8;
  // tus (docs/tus.md): the largest upload (Tus-Max-Size) and the longest
  // path its metadata may name.
  std::uint64_t max_file_bytes = std::uint64_t{1} << 40;
  std::size_t max_path_bytes = 4096;
  // The browser app (docs/webapp.md): Strict-Transport-Security on its
  // replies when the certificate is not self-signed (a browser would
  // otherwise pin a host whose certificate it cannot check), and the
  // quotas its listing shows (0: none).
  bool hsts = false;
  std::uint64_t quota_bytes = 0;
  std::uint64_t quota_files = 0;
};

struct Services {
  auth::Authenticator& authenticator;
  files::LockTable& locks;              // WebDAV locks of every user
  files::UploadTable& uploads;          // tus uploads in progress of every user
  auth::WebSessionTable& web_sessions;  // the browser app's logins
  // The body bytes in flight of every transfer, both doors
  // (--max-transfer-memory).
  net::MemoryBudget& transfer_memory;
  // After a right password: lists the connection under the user and opens
  // their files. kAuth when the account changed meanwhile, kNetwork when
  // the connection is being closed, kIo when the storage fails.
  std::function<awaitable<Result<files::UserFiles>>(const auth::Identity&)> open_files;
  std::function<bool()> draining;
  // True once the server was told to stop (SIGTERM), grace included: the
  // health check answers 503 "draining" from then on (kHealthTarget).
  std::function<bool()> leaving;
};

// The load balancer's health check (docs/cluster.md): `GET /health` (or
// HEAD), answered before any login with 200 "ok" while the server serves
// and 503 "draining" once it was told to stop; the connection closes after
// the answer, so a check costs a connection, as any other request before a
// login, and reveals nothing but those two words.
inline constexpr std::string_view kHealthTarget = "/health";

struct Peer {
  std::string peer;    // "address:port", for logs
  std::string source;  // the address alone, for penalties
};

// Serves the connection until the peer closes it, a limit ends it, or the
// server drains. Does the TLS handshake first. Never throws on bad input.
awaitable<void> serve(std::shared_ptr<net::Connection> connection, Peer peer, Settings settings,
                      Services services);

}  // namespace sfs::http
