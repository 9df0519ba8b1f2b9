// The browser app's routes (docs/webapp.md): one table, and the checks
// every route needs done once here from its columns, before its handler
// runs: the session cookie, the user's files, the Origin and CSRF token of
// a request that changes something.

#include "server/http/app.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "asio/offload.h"
#include "protocol/percent.h"
#include "server/http/app_request.h"

namespace sfs::http {
namespace {

using Handler = awaitable<Result<unsigned>> (*)(AppRequest&);

struct Route {
  bh::verb method;  // unknown: any (tus, whose handler answers each)
  std::string_view path;
  Handler handler;
  bool session;  // needs a live session (and a request that changes something its CSRF token)
};

// The one table of the app's API. Every POST is checked against CSRF
// (Origin, and with a session its token); GETs change nothing.
constexpr Route kRoutes[] = {
    {bh::verb::post, "/app/api/login", &api_login, false},
    {bh::verb::post, "/app/api/logout", &api_logout, true},
    {bh::verb::get, "/app/api/session", &api_session, true},
    {bh::verb::get, "/app/api/list", &api_list, true},
    {bh::verb::get, "/app/api/download", &api_download, true},
    {bh::verb::get, "/app/api/zip", &api_zip, true},
    {bh::verb::post, "/app/api/mkdir", &api_mkdir, true},
    {bh::verb::post, "/app/api/move", &api_move, true},
    {bh::verb::post, "/app/api/delete", &api_delete, true},
};
// tus under /tus/ with the app's session (is_app_request): every method
// but HEAD and OPTIONS changes something, so it is held to the CSRF checks
// of a POST.
constexpr Route kTusRoute = {bh::verb::unknown, "/tus", &api_tus, true};

// A request that may change something: held to the Origin check and, with
// a session, the token. GET, HEAD and OPTIONS only read.
bool changes(const AppRequest& r) {
  const bh::verb method = r.header.method();
  return method != bh::verb::get && method != bh::verb::head && method != bh::verb::options;
}

// The header the app sends its session's CSRF token in.
constexpr std::string_view kCsrfHeader = "X-SFS-CSRF";

bool has_body(const HeaderParser& parser) {
  return parser.chunked() || parser.content_length().value_or(0) > 0;
}

std::string_view header_field(const AppRequest& r, std::string_view name) {
  const auto it = r.header.find(beast::string_view(name.data(), name.size()));
  return it == r.header.end() ? std::string_view() : sv(it->value());
}

// The live session the request's cookie names, when its user's password
// is still the one it logged in with (else it ends now).
// kIo when the session table is away (its database).
awaitable<Result<void>> find_session(AppRequest& r) {
  const auto cookie = web::cookie_value(header_field(r, "Cookie"), kSessionCookie);
  if (!cookie || cookie->empty()) {
    co_return Result<void>{};
  }
  auto& table = r.c.services.web_sessions;
  const std::string id(*cookie);
  auto found = co_await call_on(table.blocking_pool(), [&] { return table.find(id); });
  if (!found) {
    co_return found.error();
  }
  std::optional<auth::WebSession>& session = *found;
  if (!session) {
    co_return Result<void>{};
  }
  if (!r.c.services.authenticator.current({.user = session->user, .version = session->version})) {
    auto ended = co_await call_on(table.blocking_pool(), [&] { return table.end(id); });
    co_return ended ? Result<void>{} : Result<void>(ended.error());
  }
  r.session_id = id;
  r.session = std::move(session);
  co_return Result<void>{};
}

// Why a request that changes something is refused (empty: it may go on).
// The browser says where it comes from (Origin, and Sec-Fetch-Site when it
// sends one); with a session, the app's own script proves itself with the
// token it read from /app/api/session, which no other site can read.
std::string csrf_refusal(const AppRequest& r, bool with_token) {
  const std::string_view origin = header_field(r, "Origin");
  const std::string_view host = header_field(r, "Host");
  if (origin.empty() || host.empty()) {
    return "refused: no Origin header (a cross-site request?)";
  }
  if (!origin.starts_with("https://") || !iequal(origin.substr(8), host)) {
    return "refused: a request from another site";
  }
  const std::string_view site = header_field(r, "Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin") {
    return "refused: a request from another site";
  }
  if (with_token) {
    const std::string_view token = header_field(r, kCsrfHeader);
    const std::string& expected = r.session->csrf;
    if (token.size() != expected.size() ||
        CRYPTO_memcmp(token.data(), expected.data(), expected.size()) != 0) {
      return "refused: missing or wrong CSRF token; reload the page";
    }
  }
  return {};
}

// Opens the session user's files on the connection (its first proven
// request), or checks they are that user's.
awaitable<Result<void>> attach(AppRequest& r) {
  if (r.c.files) {
    if (r.c.files->user() != r.session->user) {
      co_return make_error(Errc::kAuth, "this connection belongs to another user; reload");
    }
    co_return Result<void>{};
  }
  const auth::Identity identity{.user = r.session->user, .version = r.session->version};
  auto files = co_await r.c.services.open_files(identity);
  if (!files) {
    co_return files.error();
  }
  r.c.files.emplace(std::move(*files));
  spdlog::info("user={} peer={} https login ok check=session", r.session->user, r.c.peer.peer);
  co_return Result<void>{};
}

std::string_view type_of(std::string_view name) {
  if (name.ends_with(".html")) {
    return "text/html; charset=utf-8";
  }
  if (name.ends_with(".css")) {
    return "text/css; charset=utf-8";
  }
  if (name.ends_with(".js")) {
    return "text/javascript; charset=utf-8";
  }
  if (name.ends_with(".svg")) {
    return "image/svg+xml";
  }
  return "application/octet-stream";
}

// A file of web/: revalidated by its ETag (the page itself is never
// stored, so that the back button after a logout shows nothing).
awaitable<Result<unsigned>> serve_asset(AppRequest& r, std::string_view name) {
  const Asset* asset = find_asset(name);
  if (asset == nullptr) {
    co_return co_await reply_text(r, bh::status::not_found, "no such page");
  }
  if (r.header.method() != bh::verb::get) {
    co_return co_await reply_text(r, bh::status::method_not_allowed, "method not allowed");
  }
  const std::string etag = "\"" + std::string(asset->sha256.substr(0, 32)) + "\"";
  const bool page = name.ends_with(".html");
  if (!page && header_field(r, "If-None-Match") == etag) {
    Response res = app_response(r, bh::status::not_modified);
    res.set(bh::field::etag, etag);
    res.set(bh::field::cache_control, "no-cache");
    co_return co_await reply(r, res);
  }
  Response res = app_response(r, bh::status::ok, std::string(asset->data), type_of(name));
  res.set(bh::field::etag, etag);
  res.set(bh::field::cache_control, page ? "no-store" : "no-cache");
  co_return co_await reply(r, res);
}

awaitable<Result<unsigned>> redirect(AppRequest& r, std::string_view to) {
  Response res = app_response(r, bh::status::found);
  res.set(bh::field::location, std::string(to));
  co_return co_await reply(r, res);
}

// What has no route of the API: the pages and their files, redirects.
awaitable<Result<unsigned>> serve_page(AppRequest& r) {
  if (r.route == "/" || r.route == kAppPrefix) {
    co_return co_await redirect(r, "/app/");
  }
  if (r.route == "/favicon.ico" || r.route.starts_with("/app/api/")) {
    co_return co_await reply_text(r, bh::status::not_found, "not found");
  }
  if (r.route == "/app/") {
    co_return co_await serve_asset(r, "index.html");
  }
  const std::string_view name = std::string_view(r.route).substr(kAppPrefix.size() + 1);
  if (name.find('/') != std::string_view::npos) {
    co_return co_await reply_text(r, bh::status::not_found, "no such page");
  }
  co_return co_await serve_asset(r, name);
}

// Reads a POST's form body (and the query of any request).
awaitable<Result<void>> read_params(AppRequest& r, std::string_view query) {
  auto parsed = web::parse_form(query);
  if (!parsed) {
    r.keep_alive = r.keep_alive && !has_body(r.parser);  // a body left unread
    co_return parsed.error();
  }
  r.query = std::move(*parsed);
  if (r.header.method() != bh::verb::post) {
    r.keep_alive = r.keep_alive && !has_body(r.parser);  // an unread body
    co_return Result<void>{};
  }
  auto body = co_await read_body_whole(r.c.connection, r.buffer, r.parser, web::kMaxFormBytes,
                                       r.c.settings.io_timeout);
  if (!body) {
    r.keep_alive = false;
    co_return body.error();
  }
  auto form = web::parse_form(*body);
  if (!form) {
    co_return form.error();
  }
  r.form = std::move(*form);
  co_return Result<void>{};
}

// Why the route's columns refuse the request (status and reason), or
// nullopt when it may go on.
std::optional<std::pair<bh::status, std::string>> route_refusal(const AppRequest& r,
                                                                const Route& route) {
  if (route.session && !r.session) {
    return std::pair(bh::status::unauthorized, std::string("session expired; log in again"));
  }
  if (changes(r)) {
    if (std::string why = csrf_refusal(r, route.session); !why.empty()) {
      spdlog::warn("peer={} https-app {} {}", r.c.peer.peer, r.route, why);
      return std::pair(bh::status::forbidden, std::move(why));
    }
  }
  return std::nullopt;
}

// The route's checks, then its handler.
awaitable<Result<unsigned>> serve_route(AppRequest& r, const Route& route) {
  if (const auto refused = route_refusal(r, route)) {
    if (r.body_unread && has_body(r.parser)) {
      r.keep_alive = false;  // the body must not be taken for the next request
    }
    co_return co_await reply_text(r, refused->first, refused->second);
  }
  if (route.session) {
    if (auto attached = co_await attach(r); !attached) {
      r.keep_alive = false;
      if (attached.error().code == Errc::kNetwork) {
        co_return attached.error();
      }
      const auto status = attached.error().code == Errc::kAuth ? bh::status::unauthorized
                                                               : bh::status::service_unavailable;
      co_return co_await reply_text(r, status, attached.error().message);
    }
  }
  co_return co_await route.handler(r);
}

awaitable<Result<unsigned>> serve_request(AppRequest& r) {
  const std::string_view target = sv(r.header.target());
  const std::size_t mark = target.find('?');
  r.route = std::string(target.substr(0, mark));
  const std::string_view query =
      mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
  if (!r.c.files && ++r.c.anonymous > r.c.settings.max_unauthenticated_requests) {
    r.keep_alive = false;  // answered, then closed, as the door's Basic refusals
  }
  if (auto found = co_await find_session(r); !found) {
    if (has_body(r.parser)) {
      r.keep_alive = false;  // the body must not be taken for the next request
    }
    co_return co_await reply_text(r, bh::status::service_unavailable, found.error().message);
  }
  if (is_tus_target(r.route)) {  // its handler reads (or refuses) its body itself
    r.body_unread = true;
    co_return co_await serve_route(r, kTusRoute);
  }
  if (auto read = co_await read_params(r, query); !read) {
    if (read.error().code == Errc::kNetwork) {
      co_return read.error();
    }
    co_return co_await reply_text(r, status_of(read.error()), read.error().message);
  }
  for (const Route& route : kRoutes) {
    if (route.path == r.route) {
      if (route.method != r.header.method()) {
        co_return co_await reply_text(r, bh::status::method_not_allowed, "method not allowed");
      }
      co_return co_await serve_route(r, route);
    }
  }
  co_return co_await serve_page(r);
}

}  // namespace

bool is_app_target(std::string_view target) {
  target = target.substr(0, target.find('?'));
  return target == "/" || target == "/favicon.ico" || target == kAppPrefix ||
         (target.starts_with(kAppPrefix) && target[kAppPrefix.size()] == '/');
}

bool is_app_request(const Header& header) {
  const std::string_view target = sv(header.target());
  if (is_app_target(target)) {
    return true;
  }
  if (!is_tus_target(target)) {
    return false;
  }
  // The app's token header without a cookie: the browser dropped it (a
  // logout elsewhere). It gets the app's 401, not a Basic challenge, which
  // would open the browser's own login dialog over the page.
  if (header.find(beast::string_view(kCsrfHeader.data(), kCsrfHeader.size())) != header.end()) {
    return true;
  }
  const auto it = header.find(bh::field::cookie);
  return it != header.end() && web::cookie_value(sv(it->value()), kSessionCookie).has_value();
}

void add_app_headers(bh::fields& fields, std::string_view csp, bool hsts) {
  fields.set("Content-Security-Policy", std::string(csp));
  fields.set("X-Frame-Options", "DENY");  // frame-ancestors, for older browsers
  fields.set("Referrer-Policy", "no-referrer");
  fields.set("Cross-Origin-Opener-Policy", "same-origin");
  fields.set("Cross-Origin-Resource-Policy", "same-origin");
  if (hsts) {
    fields.set(bh::field::strict_transport_security, "max-age=31536000");
  }
}

Response app_response(const AppRequest& r, bh::status status, std::string body,
                      std::string_view content_type) {
  Response res{status, 11};
  add_safety_headers(res);
  add_app_headers(res, kAppPolicy, r.c.settings.hsts);
  if (!body.empty()) {
    res.set(bh::field::content_type, std::string(content_type));
    res.body() = std::move(body);
  }
  return res;
}

awaitable<Result<unsigned>> reply(AppRequest& r, Response& response) {
  response.keep_alive(r.keep_alive);
  co_return co_await write_response(r.c.connection, response, r.c.settings.io_timeout);
}

awaitable<Result<unsigned>> reply_text(AppRequest& r, bh::status status, std::string_view text) {
  Response res = app_response(r, status, std::string(text) + "\n");
  co_return co_await reply(r, res);
}

std::string path_param(const AppRequest& r, std::string_view name) {
  const std::string* value = web::form_value(r.query, name);
  if (value == nullptr) {
    value = web::form_value(r.form, name);
  }
  std::string_view path = value ? std::string_view(*value) : std::string_view();
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  return std::string(path);
}

awaitable<bool> serve_app(AppConnection& c, beast::flat_buffer& buffer, HeaderParser& parser) {
  AppRequest r{.c = c, .buffer = buffer, .parser = parser, .header = parser.get()};
  r.keep_alive = r.header.keep_alive();
  const Result<unsigned> status = co_await serve_request(r);
  const std::string user = r.session ? r.session->user : "-";
  if (status) {
    spdlog::info("user={} peer={} https-app {} {} status={} bytes={}", user, c.peer.peer,
                 sv(r.header.method_string()), protocol::percent_encode(r.route), *status, r.bytes);
  } else {
    spdlog::info("user={} peer={} https-app {} {} failed: {} bytes={}", user, c.peer.peer,
                 sv(r.header.method_string()), protocol::percent_encode(r.route),
                 status.error().message, r.bytes);
  }
  co_return status&& r.keep_alive;
}

}  // namespace sfs::http
