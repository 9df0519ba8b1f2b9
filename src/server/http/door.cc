// The HTTPS door's connection loop: handshake, one request after another
// (keep-alive), HTTP Basic through the Authenticator, then the methods.

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <limits>

#include "protocol/percent.h"
#include "server/http/app.h"
#include "server/http/exchange.h"

namespace sfs::http {
namespace {

using Clock = net::Clock;

// A connection a reply ended (a refused or failed body, `Connection:
// close`) reads and drops what the client still sends for this long and
// this much at most before it closes (as nginx's lingering_timeout): a
// client that sent a body without waiting for 100-continue gets to read
// the refusal instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::uint64_t kLingerBytes = std::uint64_t{8} << 20;

// TLS 1.3 session tickets sent after each handshake (see Door::run).
constexpr std::size_t kSessionTickets = 2;

// A request may carry a body the door has not read.
bool has_body(const HeaderParser& parser) {
  return parser.chunked() || parser.content_length().value_or(0) > 0;
}

// PUT and PATCH stream their bodies into uploads (put.cc, patch.cc); the
// other methods' bodies are small and read whole first.
bool streams_body(const Header& request) {
  return request.method() == bh::verb::put || request.method() == bh::verb::patch;
}

// The path under the user's space that `target` names below /dav/.
Result<std::string> path_of(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (target != kDavPrefix &&
      !(target.starts_with(kDavPrefix) && target[kDavPrefix.size()] == '/')) {
    return make_error(Errc::kNotFound, "WebDAV lives under " + std::string(kDavPrefix) + "/");
  }
  target.remove_prefix(kDavPrefix.size());
  while (!target.empty() && target.front() == '/') {
    target.remove_prefix(1);
  }
  while (!target.empty() && target.back() == '/') {
    target.remove_suffix(1);
  }
  return protocol::percent_decode(target);  // once: "%2541" names "%41"
}

// A health check: GET or HEAD of kHealthTarget exactly (no query).
bool is_health_check(const Header& request) {
  return (request.method() == bh::verb::get || request.method() == bh::verb::head) &&
         sv(request.target()) == kHealthTarget;
}

class Door {
 public:
  Door(std::shared_ptr<net::Connection> connection, Peer peer, Settings settings, Services services)
      : connection_(std::move(connection)),
        peer_(std::move(peer)),
        settings_(settings),
        services_(std::move(services)) {}

  awaitable<void> run();

 private:
  enum class Login { kOk, kAnswered, kClose };

  // One request and its reply; false when the connection ends.
  awaitable<bool> serve_one(beast::flat_buffer& buffer);
  // Reads the next request's header; false when the connection ends.
  awaitable<bool> read_header(beast::flat_buffer& buffer, HeaderParser& parser);
  // Logs the request's sender in (or knows them already) and answers it
  // when it cannot go on.
  awaitable<Login> authenticate(const HeaderParser& parser);
  awaitable<Login> check(const HeaderParser& parser, const Credentials& credentials,
                         std::string_view authorization);
  awaitable<Login> refuse(const HeaderParser& parser, Response&& response, bool close);
  // Answers the health check (kHealthTarget) and ends the connection.
  awaitable<bool> answer_health(const HeaderParser& parser);
  awaitable<bool> serve_logged_in(beast::flat_buffer& buffer, HeaderParser& parser);
  void log(const Exchange& ex, const Result<unsigned>& status) const;

  std::shared_ptr<net::Connection> connection_;
  Peer peer_;
  Settings settings_;
  Services services_;
  Clock::time_point login_deadline_;
  std::optional<files::UserFiles> files_;
  std::string authorization_;  // the header value that logged in
  unsigned failures_ = 0;
  unsigned anonymous_ = 0;
};

awaitable<void> Door::run() {
  // HTTP clients resume sessions across connections (browsers, curl, and
  // neon, in litmus and davfs2, waits 61 ms after a TLS 1.3 handshake for a
  // ticket that never comes); two, as OpenSSL's default, one per
  // connection a client opens at once. The sfs door sends none.
  connection_->stream().issue_session_tickets(kSessionTickets);
  auto shook =
      co_await connection_->handshake(tls::Stream::Role::kServer, settings_.handshake_timeout);
  if (!shook) {
    spdlog::info("peer={} https closed: {}", peer_.peer, shook.error().message);
    co_return;
  }
  login_deadline_ = Clock::now() + settings_.login_timeout;
  beast::flat_buffer buffer;
  while (!services_.draining()) {
    if (!co_await serve_one(buffer)) {
      if (connection_->alive()) {  // a reply ended it, maybe with a body unread
        co_await connection_->close_lingering(kLingerTime, kLingerBytes);
      }
      co_return;
    }
  }
  co_await connection_->shutdown();
}

awaitable<bool> Door::read_header(beast::flat_buffer& buffer, HeaderParser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
  // Bodies are limited by what reads them (PUT: the declared size and the
  // quota; others: max_xml_body_bytes), not here.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  // Before a login the whole header must come by the login deadline (slow
  // senders of headers are cut); after it, keep-alive waits idle_timeout.
  const auto wait = files_ ? Clock::duration(settings_.idle_timeout)
                           : std::max(login_deadline_ - Clock::now(), Clock::duration(0));
  connection_->set_deadline(std::chrono::duration_cast<std::chrono::seconds>(wait) +
                            std::chrono::seconds(1));
  connection_->set_idle(true);
  boost::system::error_code ec;
  auto stream = connection_->async_stream();
  co_await bh::async_read_header(stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
  connection_->set_idle(false);
  if (ec == bh::error::header_limit) {
    Response res{bh::status::request_header_fields_too_large, 11};
    add_safety_headers(res);
    res.keep_alive(false);
    static_cast<void>(co_await write_response(*connection_, res, settings_.io_timeout));
    spdlog::info("peer={} https closed: request header over {} bytes", peer_.peer,
                 settings_.max_header_bytes);
    co_return false;
  }
  if (ec) {
    if (ec != bh::error::end_of_stream) {
      // A deadline shows here as a closed socket: the connection says so.
      const auto state = connection_->alive();
      spdlog::info("peer={} https closed{}: {}", peer_.peer, files_ ? "" : " before a login",
                   state ? ec.message() : state.error().message);
    }
    co_return false;
  }
  co_return true;
}

awaitable<bool> Door::serve_one(beast::flat_buffer& buffer) {
  HeaderParser parser;
  if (!co_await read_header(buffer, parser)) {
    co_return false;
  }
  if (is_health_check(parser.get())) {  // no login, no count against it
    co_return co_await answer_health(parser);
  }
  if (is_app_request(parser.get())) {  // the browser app: its own login
    AppConnection app{*connection_, peer_,           settings_, services_,
                      files_,       login_deadline_, failures_, anonymous_};
    co_return co_await serve_app(app, buffer, parser);
  }
  switch (co_await authenticate(parser)) {
    case Login::kOk:
      break;
    case Login::kAnswered:
      co_return parser.get().keep_alive() && !has_body(parser);
    case Login::kClose:
      co_return false;
  }
  co_return co_await serve_logged_in(buffer, parser);
}

awaitable<bool> Door::answer_health(const HeaderParser& parser) {
  const bool leaving = services_.leaving && services_.leaving();
  Response res{leaving ? bh::status::service_unavailable : bh::status::ok, 11};
  add_safety_headers(res);
  res.set(bh::field::content_type, "text/plain; charset=utf-8");
  if (parser.get().method() == bh::verb::get) {
    res.body() = leaving ? "draining\n" : "ok\n";
  }
  res.keep_alive(false);
  const auto sent = co_await write_response(*connection_, res, settings_.io_timeout);
  // Debug only: a load balancer checks every node every few seconds.
  spdlog::debug("peer={} https health {}", peer_.peer,
                sent ? std::to_string(*sent) : sent.error().message);
  co_return false;
}

awaitable<Door::Login> Door::refuse(const HeaderParser& parser, Response&& response, bool close) {
  add_safety_headers(response);
  response.keep_alive(!close && parser.get().keep_alive() && !has_body(parser));
  auto sent = co_await write_response(*connection_, response, settings_.io_timeout);
  co_return sent && !close ? Login::kAnswered : Login::kClose;
}

awaitable<Door::Login> Door::authenticate(const HeaderParser& parser) {
  const auto it = parser.get().find(bh::field::authorization);
  const std::string_view authorization =
      it == parser.get().end() ? std::string_view() : sv(it->value());
  // (A connection the app logged in has no Authorization value: a request
  // without one is no match.)
  if (files_ && !authorization_.empty() && authorization.size() == authorization_.size() &&
      CRYPTO_memcmp(authorization.data(), authorization_.data(), authorization.size()) == 0) {
    co_return Login::kOk;  // the identity this connection logged in with
  }
  const auto credentials = parse_basic(authorization);
  if (!credentials) {
    Response res{bh::status::unauthorized, 11};
    res.set(bh::field::www_authenticate, "Basic realm=\"sfs\", charset=\"UTF-8\"");
    res.body() = "authentication required\n";
    const bool close = files_ || ++anonymous_ > settings_.max_unauthenticated_requests;
    co_return co_await refuse(parser, std::move(res), close);
  }
  co_return co_await check(parser, *credentials, authorization);
}

awaitable<Door::Login> Door::check(const HeaderParser& parser, const Credentials& credentials,
                                   std::string_view authorization) {
  const std::string label = protocol::percent_encode(credentials.user);
  const auto deadline = files_ ? Clock::now() + settings_.io_timeout : login_deadline_;
  const auth::LoginRequest request{.source = peer_.source,
                                   .peer = peer_.peer,
                                   .user = credentials.user,
                                   .user_label = label,
                                   .password = credentials.password,
                                   .deadline = deadline};
  const auth::LoginHooks hooks{.on_hold = {},
                               .on_wait = [this](bool waiting) { connection_->set_idle(waiting); },
                               .stopping = [this] { return services_.draining(); }};
  connection_->set_deadline(std::chrono::duration_cast<std::chrono::seconds>(
      deadline - Clock::now() + services_.authenticator.longest_hold() + settings_.io_timeout));
  const auth::LoginOutcome outcome = co_await services_.authenticator.log_in(request, hooks);
  login_deadline_ += outcome.held;
  using Kind = auth::LoginOutcome::Kind;
  if (outcome.kind == Kind::kLoggedIn && files_ && outcome.identity->user != files_->user()) {
    Response res{bh::status::unauthorized, 11};
    co_return co_await refuse(parser, std::move(res), true);
  }
  if (outcome.kind == Kind::kLoggedIn) {
    auto files = co_await services_.open_files(*outcome.identity);
    if (!files) {
      Response res{bh::status::service_unavailable, 11};
      res.body() = files.error().message + "\n";
      co_return co_await refuse(parser, std::move(res), true);
    }
    files_.emplace(std::move(*files));
    authorization_ = std::string(authorization);
    spdlog::info("user={} peer={} https login ok check={}", files_->user(), peer_.peer,
                 outcome.identity->check_name());
    co_return Login::kOk;
  }
  if (outcome.kind == Kind::kClosed) {
    co_return Login::kClose;
  }
  Response res{outcome.kind == Kind::kFailed
                   ? bh::status::unauthorized
                   : (outcome.kind == Kind::kRefused ? bh::status::too_many_requests
                                                     : bh::status::service_unavailable),
               11};
  res.body() = outcome.message() + "\n";
  if (outcome.kind == Kind::kFailed) {
    res.set(bh::field::www_authenticate, "Basic realm=\"sfs\", charset=\"UTF-8\"");
  } else {
    res.set(bh::field::retry_after, std::to_string(std::max<long>(outcome.retry_after.count(), 1)));
  }
  const bool close = outcome.kind != Kind::kFailed || ++failures_ >= settings_.max_login_attempts;
  co_return co_await refuse(parser, std::move(res), close);
}

awaitable<bool> Door::serve_logged_in(beast::flat_buffer& buffer, HeaderParser& parser) {
  Exchange ex{.connection = *connection_,
              .buffer = buffer,
              .parser = parser,
              .files = *files_,
              .locks = services_.locks,
              .uploads = services_.uploads,
              .memory = services_.transfer_memory,
              .settings = settings_,
              .header = parser.get(),
              .keep_alive = parser.get().keep_alive()};
  Result<unsigned> status = 0U;
  auto path = path_of(sv(ex.request().target()));
  if (is_tus_target(sv(ex.request().target()))) {
    status = co_await tus(ex);
  } else if (!path) {
    ex.keep_alive = ex.keep_alive && !has_body(parser);
    status = co_await send_error(ex, path.error());
  } else if (ex.path = std::move(*path); streams_body(ex.request())) {
    status = co_await dispatch(ex);
  } else if (auto body = co_await read_small_body(ex); !body) {
    ex.keep_alive = false;
    // (An if, not ?:, around co_await: GCC 12.)
    if (body.error().code == Errc::kNetwork) {
      status = body.error();
    } else {
      status = co_await send_error(ex, body.error());
    }
  } else {
    ex.body = std::move(*body);
    status = co_await dispatch(ex);
  }
  log(ex, status);
  co_return status&& ex.keep_alive;
}

void Door::log(const Exchange& ex, const Result<unsigned>& status) const {
  const std::string path = protocol::percent_encode(ex.path);
  if (status) {
    spdlog::info("user={} peer={} https {} path={} status={} bytes={}", files_->user(), peer_.peer,
                 sv(ex.request().method_string()), path, *status, ex.bytes);
  } else {
    spdlog::info("user={} peer={} https {} path={} failed: {} bytes={}", files_->user(), peer_.peer,
                 sv(ex.request().method_string()), path, status.error().message, ex.bytes);
  }
}

}  // namespace

awaitable<Result<unsigned>> write_response(net::Connection& connection, Response& response,
                                           std::chrono::seconds timeout) {
  response.prepare_payload();
  const unsigned status = response.result_int();
  connection.set_deadline(timeout);
  boost::system::error_code ec;
  auto stream = connection.async_stream();
  co_await bh::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return make_error(Errc::kNetwork, ec.message());
  }
  co_return status;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view field(const Exchange& ex, std::string_view name) {
  const auto it = ex.request().find(beast::string_view(name.data(), name.size()));
  return it == ex.request().end() ? std::string_view() : sv(it->value());
}

void add_safety_headers(bh::fields& fields) {
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set(bh::field::cache_control, "no-store");
}

void add_reply_headers(const Exchange& ex, bh::fields& fields) {
  add_safety_headers(fields);
  if (!ex.csp.empty()) {
    add_app_headers(fields, ex.csp, ex.hsts);
  }
}

Response make_response(const Exchange& ex, bh::status status, std::string body,
                       std::string_view content_type) {
  Response res{status, 11};
  add_reply_headers(ex, res);
  if (!body.empty()) {
    res.set(bh::field::content_type, std::string(content_type));
    res.body() = std::move(body);
  }
  res.keep_alive(ex.keep_alive);
  return res;
}

awaitable<Result<unsigned>> send(Exchange& ex, Response&& response) {
  response.keep_alive(ex.keep_alive);
  co_return co_await write_response(ex.connection, response, ex.settings.io_timeout);
}

bh::status status_of(const Error& error) {
  switch (error.code) {
    case Errc::kNotFound:
      return bh::status::not_found;
    case Errc::kBadPath:
      return bh::status::forbidden;
    case Errc::kIsDir:
      return bh::status::method_not_allowed;
    case Errc::kNotDir:
    case Errc::kNotEmpty:
    case Errc::kExists:
      return bh::status::conflict;
    case Errc::kTooLarge:
      return error.message.starts_with("quota") ? bh::status::insufficient_storage
                                                : bh::status::payload_too_large;
    case Errc::kBadRequest:
    case Errc::kProtocol:
      return bh::status::bad_request;
    default:
      return bh::status::internal_server_error;
  }
}

awaitable<Result<unsigned>> send_error(Exchange& ex, const Error& error) {
  Response res = make_response(ex, status_of(error), error.message + "\n");
  co_return co_await send(ex, std::move(res));
}

awaitable<void> serve(std::shared_ptr<net::Connection> connection, Peer peer, Settings settings,
                      Services services) {
  Door door(std::move(connection), std::move(peer), settings, std::move(services));
  co_await door.run();
}

}  // namespace sfs::http
