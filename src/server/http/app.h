#pragma once
// Internal to the HTTPS door: the browser app under /app/ (docs/webapp.md).
// Its requests carry a session cookie instead of HTTP Basic: the door hands
// them here before its Basic check, with what they share with the
// connection (its user, once logged in; its login counters).

#include <chrono>
#include <optional>
#include <string_view>

#include "server/http/exchange.h"

namespace sfs::http {

// Where the app lives in URLs ("/" redirects there).
inline constexpr std::string_view kAppPrefix = "/app";
// The session cookie: __Host- makes the browser insist on Secure, Path=/
// and no Domain, so no other host (a sibling subdomain) can set it.
inline constexpr std::string_view kSessionCookie = "__Host-sfs";

// What an app request shares with its connection.
struct AppConnection {
  net::Connection& connection;
  const Peer& peer;
  const Settings& settings;
  Services& services;
  // The user the connection is logged in as (whatever door logged it in),
  // opened by the first request that proves a session.
  std::optional<files::UserFiles>& files;
  std::chrono::steady_clock::time_point& login_deadline;
  unsigned& failures;   // failed logins on the connection
  unsigned& anonymous;  // requests without a login on the connection
};

// True when `target` is the app's: "/", "/favicon.ico", or under /app.
bool is_app_target(std::string_view target);
// True when the request is the app's: its target is, or it is a tus
// request (/tus/) that carries the session cookie or the app's CSRF header. Such a tus request is
// held to the app's checks (session, Origin, CSRF token), never to Basic:
// a browser that also has Basic credentials cached cannot slip past them.
bool is_app_request(const Header& header);

// Serves one app request whose header `parser` has read; false when the
// connection ends after it.
awaitable<bool> serve_app(AppConnection& c, beast::flat_buffer& buffer, HeaderParser& parser);

// The headers every app reply carries: a strict Content-Security-Policy
// (`csp`), no framing, no sniffing, no referrer, HSTS when `hsts`.
void add_app_headers(bh::fields& fields, std::string_view csp, bool hsts);

// The app's Content-Security-Policy for its own pages, and the one for a
// user's file (a download): nothing runs, in a sandbox. `blob:` images are
// the previews of pictures (preview.js): an <img> runs no script, and only
// this origin's script can make a blob: URL.
inline constexpr std::string_view kAppPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";
inline constexpr std::string_view kFilePolicy =
    "default-src 'none'; sandbox; frame-ancestors 'none'";

// The embedded files of web/ (generated from them at build time).
struct Asset {
  std::string_view name;  // "app.js"
  std::string_view data;
  std::string_view sha256;  // hex, for the ETag
};
const Asset* find_asset(std::string_view name);

}  // namespace sfs::http
