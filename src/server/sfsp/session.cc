// The sfs door's session: run, the command loop, the verb table, dispatch,
// the operation log line; and run_session, the door's entry.

#include "server/sfsp/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "asio/offload.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/door_connection.h"
#include "server/logging.h"
#include "server/sfsp/sfsp.h"
#include "wire/channel.h"

namespace sfs::server::sfsp {
namespace {

std::string path_of(const Request& request) {
  return std::visit(
      [](const auto& r) -> std::string {
        if constexpr (requires { r.path; }) {
          return r.path;
        } else {
          return {};
        }
      },
      request);
}

// A path as the lock table keys it: no slash at either end.
std::string_view lock_key(std::string_view path) {
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

// A WebDAV lock protects its file from this door too: the sfs protocol
// cannot submit a lock token, so a write that reaches a locked path (PUT
// and MKDIR the path itself; DELETE, RMDIR and MOVE all beneath it too) is
// refused with a line naming the lock.
awaitable<Result<void>> check_webdav_locks(files::LockTable& table, const std::string& user,
                                           const Request& request) {
  if (!protocol::traits_of(request).does_write) {
    co_return Result<void>{};
  }
  const bool tree = !std::holds_alternative<protocol::Put>(request) &&
                    !std::holds_alternative<protocol::MakeDir>(request);
  std::vector<std::string> paths{path_of(request)};
  if (const auto* move = std::get_if<protocol::Move>(&request)) {
    paths.push_back(move->target);
  }
  for (const std::string& path : paths) {
    const std::string key(lock_key(path));
    // (a database's call off the network threads; kIo when it is away)
    auto locks =
        co_await call_on(table.blocking_pool(), [&] { return table.affecting(user, key, tree); });
    if (!locks) {
      co_return locks.error();
    }
    if (!locks->empty()) {
      const files::Lock& lock = locks->front();
      co_return make_error(
          Errc::kExists,
          fmt::format("locked over WebDAV: /{} ({} lock, {} s left)", lock.root,
                      lock.exclusive ? "exclusive" : "shared", lock.timeout.count()));
    }
  }
  co_return Result<void>{};
}

// The longest path a request names (MOVE names two), for the path limit.
std::size_t longest_path(const Request& request) {
  const auto* move = std::get_if<protocol::Move>(&request);
  return std::max(path_of(request).size(), move != nullptr ? move->target.size() : 0);
}

}  // namespace

const Session::Command Session::kCommands[] = {
    {"PUT", &Session::put},           {"GET", &Session::get},
    {"VIEW", &Session::view},         {"DELETE", &Session::remove},
    {"LIST", &Session::list},         {"QUIT", &Session::quit},
    {"LOGIN", &Session::login_again}, {"HASH", &Session::hash},
    {"VERIFY", &Session::verify},     {"MKDIR", &Session::make_dir},
    {"RMDIR", &Session::remove_dir},  {"MOVE", &Session::move},
    {"STAT", &Session::stat},         {"COMPRESS", &Session::compress},
    {"NOTICES", &Session::notices},   {"USAGE", &Session::usage},
};

awaitable<void> Session::run() {
  if (auto ok =
          co_await channel_->handshake(tls::Stream::Role::kServer, config().handshake_timeout);
      !ok) {
    if (!ticket_.evicted()) {  // an eviction was logged once, by the accept loop
      spdlog::info("peer={} closed: {}", peer_, ok.error().message);
    }
    co_return;
  }
  if (!co_await channel_->write(protocol::greeting_line())) {
    co_return;
  }
  if (!co_await log_in()) {
    co_return;
  }
  co_await serve_commands();
  (void)co_await channel_->flush_soon();  // a last reply held (an ERR PROTOCOL, say)
  if (const auto why = entry_.ended()) {
    spdlog::info("user={} peer={} session ended after an auth file reload: {}", user_, peer_,
                 LiveSessions::reason(*why));
  } else {
    spdlog::info("user={} peer={} disconnected", user_, peer_);
  }
}

awaitable<void> Session::serve_commands() {
  while (!quit_ && !shared_->draining) {
    auto line = co_await read_command(config().idle_timeout);
    // Ended while idle (the read was woken), or just as a command came in.
    if (const auto why = entry_.ended()) {
      co_await say_ended(*why);
      co_return;
    }
    if (!line) {
      co_await answer_failed_read(line.error());
      co_return;
    }
    if (!co_await serve_line(std::move(*line))) {
      co_return;
    }
  }
  co_await channel_->shutdown();
}

awaitable<bool> Session::serve_line(std::string line) {
  auto request = protocol::parse_request(line);
  if (!request) {
    spdlog::info("user={} peer={} bad request: {}", user_, peer_, request.error().message);
    body_due_ = protocol::announced_data(line);
    if (body_due_) {
      const bool drained = co_await drain_refused();
      if (!drained) {
        co_return false;
      }
    }
    const Result<void> answered = co_await reply_error(request.error());
    co_return static_cast<bool>(answered);
  }
  bytes_ = 0;
  resumed_from_ = 0;
  channel_->wire_count() = {};
  body_due_.reset();
  if (const auto* put = std::get_if<protocol::Put>(&*request); put != nullptr && put->now) {
    body_due_ = put->size;
  }
  // The replies to pipelined transfers and STATs may share a send; before
  // anything else (a listing, a move, VERIFY) the held ones go out, so that
  // none waits behind slower work.
  hold_replies_ = protocol::traits_of(*request).quick;
  if (!hold_replies_) {
    if (auto sent = co_await channel_->flush_soon(); !sent) {
      co_return false;
    }
  }
  // (An if, not ?:, around co_await: GCC 12 fails to compile the latter.)
  Result<void> result = make_error(Errc::kBadPath, "path too long");
  if (longest_path(*request) <= config().max_path_bytes) {
    result = co_await dispatch(*request);
  }
  record(*request, result);
  if (result) {
    co_return true;
  }
  const Errc code = result.error().code;
  if (code == Errc::kNetwork) {
    co_return false;
  }
  if (body_due_ && code != Errc::kProtocol) {  // refused before its data: read it through
    const bool drained = co_await drain_refused();
    if (!drained) {
      co_return false;
    }
  }
  const Result<void> answered = co_await reply_error(result.error());
  co_return static_cast<bool>(answered) && code != Errc::kProtocol;
}

awaitable<bool> Session::drain_refused() {
  auto drained = co_await drain_body();
  if (!drained && drained.error().code == Errc::kProtocol) {
    co_await reply_anyway(protocol::error_line(Errc::kProtocol, drained.error().message));
  }
  co_return static_cast<bool>(drained);
}

awaitable<Result<void>> Session::dispatch(const Request& request) {
  const std::string_view verb = protocol::verb_of(request);
  if (auto free = co_await check_webdav_locks(shared_->locks, user_, request); !free) {
    co_return free.error();
  }
  for (const Command& command : kCommands) {
    if (command.verb == verb) {
      co_return co_await (this->*command.handler)(request);
    }
  }
  co_return make_error(Errc::kBadRequest, "unknown command");
}

awaitable<Result<std::string>> Session::read_command(net::Clock::duration timeout) {
  channel_->set_idle(true);
  auto line = co_await channel_->read_line(config().max_line_bytes, timeout);
  channel_->set_idle(false);
  co_return line;
}

awaitable<Result<void>> Session::reply(std::string line) {
  if (hold_replies_ && channel_->input_available() > 0) {
    co_return co_await channel_->write_soon(line);  // with the next ones (pipelined)
  }
  co_return co_await channel_->write(line);
}

awaitable<Result<void>> Session::reply_ok() {
  const std::string line = protocol::ok_line();
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::reply_error(Error error) {
  const std::string line = protocol::error_line(error.code, error.message);
  co_return co_await reply(line);
}

awaitable<void> Session::reply_anyway(std::string line) {
  static_cast<void>(co_await channel_->write(line));
}

awaitable<void> Session::answer_failed_read(Error error) {
  if (error.code == Errc::kProtocol) {
    co_await reply_anyway(protocol::error_line(Errc::kProtocol, error.message));
  }
}

void Session::record(const Request& request, const Result<void>& result) {
  // With compression agreed, a transfer also logs what crossed the wire.
  const wire::WireCount& wire = channel_->wire_count();
  const protocol::VerbTraits& traits = protocol::traits_of(request);
  const std::string_view verb = traits.verb;
  const std::string path = path_of(request);
  const bool transfer = traits.is_transfer;
  log_operation({user_, peer_, verb, path, bytes_, resumed_from_,
                 result ? std::string_view("ok") : protocol::error_name(result.error().code),
                 result ? std::string_view() : std::string_view(result.error().message),
                 channel_->compression() && transfer, wire.wire_bytes, wire.compressed_frames,
                 wire.raw_frames});
}

}  // namespace sfs::server::sfsp

namespace sfs::server {
namespace {

// Runs on the channel's executor when the registry asks a session to stop.
// Draining closes an idle session. An account change also cuts a command in
// flight, as a cut connection would (an upload keeps its partial data for
// resume), and wakes an idle session, whose read then fails, so that it can
// tell its user why before it closes (serve_commands).
void stop_channel(net::Connection& channel, LiveSessions::Why why) {
  if (why == LiveSessions::Why::kDrain) {
    channel.close_if_idle();
    return;
  }
  if (channel.idle()) {
    boost::system::error_code ec;
    channel.stream().socket().cancel(ec);
  } else {
    channel.close();
  }
}

}  // namespace

awaitable<void> run_session(std::shared_ptr<Shared> shared, tcp::socket socket,
                            Admission::Ticket ticket, PeerName name) {
  const std::string peer = std::move(name.peer);
  const std::string source = std::move(name.source);
  auto channel =
      std::make_shared<wire::Channel>(std::move(socket), *shared->tls, shared->config.io_timeout);
  channel->set_min_rate(shared->config.min_transfer_rate);
  auto entry = enlist(*shared, channel, ticket, stop_channel);
  if (!entry) {
    channel->close();
    co_return;
  }
  channel->start_watchdog();
  sfsp::Session session(shared, channel, peer, source, ticket, *entry);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    spdlog::error("peer={} session error: {}", peer, e.what());
  }
  channel->close();
}

}  // namespace sfs::server
