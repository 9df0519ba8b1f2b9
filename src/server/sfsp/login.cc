// The sfs door's login: LOGIN attempts, holds, acceptance, and the reply
// when an auth-file reload ends a session.

#include <spdlog/spdlog.h>

#include <string>

#include "auth/authenticator.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/sfsp/session.h"
#include "wire/channel.h"

namespace sfs::server::sfsp {
awaitable<bool> Session::log_in() {
  auto deadline = net::Clock::now() + config().login_timeout;
  for (unsigned attempt = 0; attempt < config().max_login_attempts;) {
    const auto left = deadline - net::Clock::now();
    auto line = co_await read_command(left);
    if (!line) {
      co_await answer_failed_read(line.error());
      spdlog::info("peer={} closed before login: {}", peer_, line.error().message);
      co_return false;
    }
    auto request = protocol::parse_request(*line);
    const auto* login = request ? std::get_if<protocol::Login>(&*request) : nullptr;
    if (login == nullptr) {
      if (!co_await serve_before_login(std::move(request))) {
        co_return false;
      }
      continue;
    }
    ++attempt;
    switch (co_await try_login(*login, deadline)) {
      case LoginResult::kLoggedIn:
        co_return true;
      case LoginResult::kClosed:
        co_return false;
      case LoginResult::kRefused:
        break;
    }
  }
  spdlog::warn("peer={} too many failed logins, closing", peer_);
  co_return false;
}

awaitable<bool> Session::serve_before_login(Result<Request> request) {
  if (!request || !protocol::traits_of(*request).before_login) {
    const Error e = request ? make_error(Errc::kAuth, "login required") : request.error();
    co_await reply_anyway(protocol::error_line(e.code, e.message));
    co_return true;
  }
  auto served = co_await dispatch(*request);
  if (served) {
    co_return true;
  }
  const Result<void> answered = co_await reply_error(served.error());
  co_return static_cast<bool>(answered);
}

awaitable<Session::LoginResult> Session::try_login(const protocol::Login& login,
                                                   net::Clock::time_point& deadline) {
  // The user name is logged percent-encoded: it is untrusted input.
  const std::string user_field = protocol::percent_encode(login.user);
  const auth::LoginRequest request{.source = source_,
                                   .peer = peer_,
                                   .user = login.user,
                                   .user_label = user_field,
                                   .password = login.password,
                                   .deadline = deadline};
  const auth::LoginHooks hooks{
      .on_hold = [this](std::chrono::milliseconds wait) { return announce_hold(wait); },
      // Waiting on the server: a draining server need not wait for it.
      .on_wait = [this](bool waiting) { channel_->set_idle(waiting); },
      .stopping = [this] { return shared_->draining.load(); }};
  // Meanwhile the client owes nothing, and the reply must not be lost to
  // the line read's deadline (it is the login's): the watchdog waits for
  // all the authenticator may take (busy until the deadline, the longest
  // hold, then the check) before it closes the connection.
  channel_->set_deadline(deadline - net::Clock::now() + shared_->authenticator.longest_hold() +
                         config().io_timeout);
  const auth::LoginOutcome outcome = co_await shared_->authenticator.log_in(request, hooks);
  deadline += outcome.held;  // the client's time to log in did not run meanwhile
  using Kind = auth::LoginOutcome::Kind;
  if (outcome.kind == Kind::kLoggedIn) {
    co_return co_await accept(*outcome.identity);
  }
  if (outcome.kind == Kind::kClosed) {
    co_return LoginResult::kClosed;
  }
  const std::string refusal = protocol::error_line(Errc::kAuth, outcome.message());
  if (!co_await reply(refusal) || outcome.kind == Kind::kBusy) {
    co_return LoginResult::kClosed;  // busy: the deadline has passed
  }
  co_return LoginResult::kRefused;
}

awaitable<bool> Session::announce_hold(std::chrono::milliseconds wait) {
  if (delay_notices_) {
    const std::string notice = protocol::delay_line(wait);
    if (!co_await reply(notice)) {
      co_return false;
    }
  }
  // The write gave the watchdog io_timeout; the hold comes first.
  channel_->set_deadline(wait + config().io_timeout);
  co_return true;
}

awaitable<Session::LoginResult> Session::accept(const auth::Identity& identity) {
  if (!ticket_.logged_in()) {  // evicted from the pre-login pool meanwhile: being closed
    co_return LoginResult::kClosed;
  }
  entry_.logged_in(identity.user);
  // Listed now, so a later reload ends this session; one in between shows here.
  if (!shared_->authenticator.current(identity)) {
    spdlog::info("user={} peer={} login refused: the auth file changed during the check",
                 identity.user, peer_);
    co_await reply_anyway(
        protocol::error_line(Errc::kAuth, "the account changed during the login; log in again"));
    co_return LoginResult::kClosed;
  }
  auto files = co_await open_user_files(*shared_, identity.user);
  if (!files) {
    spdlog::error("user={} peer={} storage: {}", identity.user, peer_, files.error().message);
    co_await reply_anyway(protocol::error_line(Errc::kIo, "storage unavailable"));
    co_return LoginResult::kClosed;
  }
  user_ = identity.user;
  files_.emplace(std::move(*files));
  // (An if, not ?:, around co_await: GCC 12 fails to compile the latter.)
  if (!co_await reply_ok()) {
    co_return LoginResult::kClosed;
  }
  spdlog::info("user={} peer={} login ok check={} source={}", user_, peer_, identity.check_name(),
               auth::LoginGate::standing_name(identity.standing));
  co_return LoginResult::kLoggedIn;
}

awaitable<void> Session::say_ended(LiveSessions::Why why) {
  const std::string line = protocol::error_line(Errc::kAuth, LiveSessions::message(why));
  if (co_await reply(line)) {
    co_await channel_->shutdown();
  }
}

}  // namespace sfs::server::sfsp
