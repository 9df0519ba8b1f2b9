#include "server/session.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "auth/authenticator.h"
#include "crypto/digest.h"
#include "files/user_files.h"
#include "protocol/limits.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/logging.h"
#include "wire/channel.h"
#include "wire/transfer.h"

namespace sfs::server {
namespace {

using protocol::Request;

// Runs on the channel's executor when the registry asks a session to stop.
// Draining closes an idle session. An account change also cuts a command in
// flight, as a cut connection would (an upload keeps its partial data for
// resume), and wakes an idle session, whose read then fails, so that it can
// tell its user why before it closes (serve_commands).
void stop_channel(wire::Channel& channel, LiveSessions::Why why) {
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

files::Services files_services(Shared& shared) {
  return {shared.quota_ledger, shared.disk, shared.slow_jobs};
}

files::Limits files_limits(const Config& config) {
  return {config.max_file_bytes, config.max_path_bytes, config.io_timeout};
}

class Session {
 public:
  Session(std::shared_ptr<Shared> shared, std::shared_ptr<wire::Channel> channel, std::string peer,
          std::string source, Admission::Ticket& ticket, LiveSessions::Entry& entry)
      : shared_(std::move(shared)),
        channel_(std::move(channel)),
        peer_(std::move(peer)),
        source_(std::move(source)),
        ticket_(ticket),
        entry_(entry) {}

  awaitable<void> run();

 private:
  using Handler = awaitable<Result<void>> (Session::*)(const Request&);
  struct Command {
    std::string_view verb;
    Handler handler;
  };
  static const Command kCommands[];

  const Config& config() const { return shared_->config; }
  // What became of one LOGIN.
  enum class LoginResult { kLoggedIn, kRefused, kClosed };

  awaitable<bool> log_in();
  // Runs one LOGIN through the authenticator and answers it; a hold
  // extends `deadline`.
  awaitable<LoginResult> try_login(const protocol::Login& login, net::Clock::time_point& deadline);
  // The authenticator's hook before a hold: a client that asked for
  // notices hears how long first. False when the client is gone.
  awaitable<bool> announce_hold(std::chrono::milliseconds wait);
  // After the right password: the listing, storage, "OK".
  awaitable<LoginResult> accept(const auth::Identity& identity);
  // Tells the user why an auth-file reload ended the session, and closes.
  awaitable<void> say_ended(LiveSessions::Why why);
  awaitable<void> serve_commands();
  awaitable<Result<void>> dispatch(const Request& request);

  awaitable<Result<void>> put(const Request& request);
  awaitable<Result<void>> get(const Request& request);
  awaitable<Result<void>> view(const Request& request);
  awaitable<Result<void>> remove(const Request& request);
  awaitable<Result<void>> list(const Request& request);
  awaitable<Result<void>> quit(const Request& request);
  awaitable<Result<void>> login_again(const Request& request);
  awaitable<Result<void>> hash(const Request& request);
  awaitable<Result<void>> verify(const Request& request);
  awaitable<Result<void>> make_dir(const Request& request);
  awaitable<Result<void>> remove_dir(const Request& request);
  awaitable<Result<void>> move(const Request& request);
  awaitable<Result<void>> stat(const Request& request);
  awaitable<Result<void>> compress(const Request& request);
  awaitable<Result<void>> notices(const Request& request);

  // Sends `length` bytes of `file` from where it starts.
  awaitable<Result<void>> stream_file(files::Download& file, std::uint64_t length,
                                      const wire::Check& before_end);
  // The offer, FROM, the data and the digest trailer of a PUT.
  awaitable<Result<void>> receive_upload(const protocol::Put& put, files::Upload& upload);
  void record(const Request& request, const Result<void>& result);
  // Writes a reply whose failure changes nothing: the connection is
  // closing, or its next read fails and ends the session.
  awaitable<void> reply_anyway(std::string line);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<wire::Channel> channel_;
  std::string peer_;    // "address:port", for logs
  std::string source_;  // the address alone, for penalties
  Admission::Ticket& ticket_;
  LiveSessions::Entry& entry_;
  std::string user_;
  bool delay_notices_ = false;  // the client sent NOTICES delay
  std::optional<files::UserFiles> files_;
  std::uint64_t bytes_ = 0;         // moved by the current operation, for the log
  std::uint64_t resumed_from_ = 0;  // where the current transfer resumed, for the log
  bool quit_ = false;
};

const Session::Command Session::kCommands[] = {
    {"PUT", &Session::put},           {"GET", &Session::get},
    {"VIEW", &Session::view},         {"DELETE", &Session::remove},
    {"LIST", &Session::list},         {"QUIT", &Session::quit},
    {"LOGIN", &Session::login_again}, {"HASH", &Session::hash},
    {"VERIFY", &Session::verify},     {"MKDIR", &Session::make_dir},
    {"RMDIR", &Session::remove_dir},  {"MOVE", &Session::move},
    {"STAT", &Session::stat},         {"COMPRESS", &Session::compress},
    {"NOTICES", &Session::notices},
};

protocol::FileStatus::Kind to_wire(storage::FileCheck::Status status) {
  using Kind = protocol::FileStatus::Kind;
  switch (status) {
    case storage::FileCheck::Status::kOk:
      return Kind::kOk;
    case storage::FileCheck::Status::kCorrupt:
      return Kind::kCorrupt;
    case storage::FileCheck::Status::kUnhashed:
      return Kind::kUnhashed;
    case storage::FileCheck::Status::kUnreadable:
      return Kind::kUnreadable;
  }
  return Kind::kUnreadable;
}

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

// The longest path a request names (MOVE names two), for the path limit.
std::size_t longest_path(const Request& request) {
  const auto* move = std::get_if<protocol::Move>(&request);
  return std::max(path_of(request).size(), move != nullptr ? move->target.size() : 0);
}

protocol::Entry to_wire(const storage::DirEntry& e) {
  return {e.is_dir ? 'd' : 'f', e.size,
          static_cast<std::uint64_t>(std::max<std::int64_t>(e.mtime, 0)), e.digest, e.name};
}

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
  if (const auto why = entry_.ended()) {
    spdlog::info("user={} peer={} session ended after an auth file reload: {}", user_, peer_,
                 LiveSessions::reason(*why));
  } else {
    spdlog::info("user={} peer={} disconnected", user_, peer_);
  }
}

awaitable<bool> Session::log_in() {
  auto deadline = net::Clock::now() + config().login_timeout;
  for (unsigned attempt = 0; attempt < config().max_login_attempts;) {
    const auto left = deadline - net::Clock::now();
    channel_->set_idle(true);
    auto line = co_await channel_->read_line(config().max_line_bytes, left);
    channel_->set_idle(false);
    if (!line) {
      if (line.error().code == Errc::kProtocol) {
        co_await reply_anyway(protocol::error_line(Errc::kProtocol, line.error().message));
      }
      spdlog::info("peer={} closed before login: {}", peer_, line.error().message);
      co_return false;
    }
    auto request = protocol::parse_request(*line);
    const auto* login = request ? std::get_if<protocol::Login>(&*request) : nullptr;
    // Other verbs the table allows before LOGIN (NOTICES) are served here.
    if (request && login == nullptr && protocol::traits_of(*request).before_login) {
      auto ok = co_await dispatch(*request);
      if (!ok) {
        const std::string reply = protocol::error_line(ok.error().code, ok.error().message);
        if (!co_await channel_->write(reply)) {
          co_return false;
        }
      }
      continue;
    }
    if (login == nullptr) {
      const Error e = request ? make_error(Errc::kAuth, "login required") : request.error();
      co_await reply_anyway(protocol::error_line(e.code, e.message));
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
  const std::string reply = protocol::error_line(Errc::kAuth, outcome.message());
  if (!co_await channel_->write(reply) || outcome.kind == Kind::kBusy) {
    co_return LoginResult::kClosed;  // busy: the deadline has passed
  }
  co_return LoginResult::kRefused;
}

awaitable<bool> Session::announce_hold(std::chrono::milliseconds wait) {
  if (delay_notices_) {
    const std::string notice = protocol::delay_line(wait);
    if (!co_await channel_->write(notice)) {
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
  auto tree = shared_->store.user(identity.user);
  if (!tree) {
    spdlog::error("user={} peer={} storage: {}", identity.user, peer_, tree.error().message);
    co_await reply_anyway(protocol::error_line(Errc::kIo, "storage unavailable"));
    co_return LoginResult::kClosed;
  }
  user_ = identity.user;
  files_.emplace(identity.user, std::move(*tree), files_services(*shared_), files_limits(config()));
  // (An if, not ?:, around co_await: GCC 12 fails to compile the latter.)
  if (!co_await channel_->write(protocol::ok_line())) {
    co_return LoginResult::kClosed;
  }
  spdlog::info("user={} peer={} login ok check={} source={}", user_, peer_, identity.check_name(),
               auth::LoginGate::standing_name(identity.standing));
  co_return LoginResult::kLoggedIn;
}

awaitable<void> Session::serve_commands() {
  while (!quit_ && !shared_->draining) {
    channel_->set_idle(true);
    auto line = co_await channel_->read_line(config().max_line_bytes, config().idle_timeout);
    channel_->set_idle(false);
    // Ended while idle (the read was woken), or just as a command came in.
    if (const auto why = entry_.ended()) {
      co_await say_ended(*why);
      co_return;
    }
    if (!line) {
      if (line.error().code == Errc::kProtocol) {
        co_await reply_anyway(protocol::error_line(Errc::kProtocol, line.error().message));
      }
      co_return;
    }
    auto request = protocol::parse_request(*line);
    if (!request) {
      spdlog::info("user={} peer={} bad request: {}", user_, peer_, request.error().message);
      if (!co_await channel_->write(
              protocol::error_line(request.error().code, request.error().message))) {
        co_return;
      }
      continue;
    }
    bytes_ = 0;
    resumed_from_ = 0;
    channel_->wire_count() = {};
    // (An if, not ?:, around co_await: GCC 12 fails to compile the latter.)
    Result<void> result = make_error(Errc::kBadPath, "path too long");
    if (longest_path(*request) <= config().max_path_bytes) {
      result = co_await dispatch(*request);
    }
    record(*request, result);
    if (result) {
      continue;
    }
    const Errc code = result.error().code;
    if (code == Errc::kNetwork) {
      co_return;
    }
    if (!co_await channel_->write(protocol::error_line(code, result.error().message)) ||
        code == Errc::kProtocol) {
      co_return;
    }
  }
  co_await channel_->shutdown();
}

awaitable<void> Session::say_ended(LiveSessions::Why why) {
  const std::string line = protocol::error_line(Errc::kAuth, LiveSessions::message(why));
  if (co_await channel_->write(line)) {
    co_await channel_->shutdown();
  }
}

awaitable<Result<void>> Session::dispatch(const Request& request) {
  const std::string_view verb = protocol::verb_of(request);
  for (const Command& command : kCommands) {
    if (command.verb == verb) {
      co_return co_await (this->*command.handler)(request);
    }
  }
  co_return make_error(Errc::kBadRequest, "unknown command");
}

awaitable<void> Session::reply_anyway(std::string line) {
  static_cast<void>(co_await channel_->write(line));
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

awaitable<Result<void>> Session::put(const Request& request) {
  const auto& put = std::get<protocol::Put>(request);
  auto upload = co_await files_->begin_upload(put.path, put.size, true);
  if (!upload) {
    co_return upload.error();
  }
  auto received = co_await receive_upload(put, *upload);
  if (!received) {
    upload->stop(received.error().code == Errc::kNetwork);  // only a cut connection may resume
  }
  co_return received;
}

awaitable<Result<void>> Session::receive_upload(const protocol::Put& put, files::Upload& upload) {
  const files::Upload::Offer& offer = upload.offer();
  const std::string offer_line = protocol::ok_line(
      {std::to_string(offer.held), offer.held > 0 ? offer.digest : std::string("-")});
  if (auto ok = co_await channel_->write(offer_line); !ok) {
    co_return ok;
  }
  auto from_line = co_await channel_->read_line(config().max_line_bytes);
  if (!from_line) {
    co_return from_line.error();
  }
  auto from = protocol::parse_from_line(*from_line);
  if (!from || (*from != 0 && *from != offer.held)) {
    co_return make_error(Errc::kProtocol, "FROM must be 0 or the offered length");
  }
  resumed_from_ = *from;
  if (auto ok = upload.start_at(*from); !ok) {
    co_return ok;
  }
  auto sink = [&upload](const char* data, std::size_t n) { return upload.write(data, n); };
  auto received = co_await wire::receive_stream(
      *channel_, put.size - *from, sink, [this](std::uint64_t n) { bytes_ = n; },
      config().max_frame_bytes, &shared_->transfer_io, &shared_->transfer_memory);
  if (!received) {
    if (wire::stream_completed(received.error())) {  // e.g. disk full: skip the trailer too
      if (auto skipped = co_await channel_->read_line(config().max_line_bytes); !skipped) {
        co_return skipped.error();
      }
    }
    co_return received;
  }
  auto trailer = co_await channel_->read_line(config().max_line_bytes);
  if (!trailer) {
    co_return trailer.error();
  }
  auto claimed = protocol::parse_digest_line(*trailer);
  if (!claimed) {
    co_return claimed.error();
  }
  auto stored = co_await upload.finish(*claimed);
  if (!stored) {
    co_return stored.error();
  }
  const std::string done = protocol::ok_line({std::to_string(stored->size), stored->digest});
  co_return co_await channel_->write(done);
}

awaitable<Result<void>> Session::stream_file(files::Download& file, std::uint64_t length,
                                             const wire::Check& before_end) {
  auto source = [&file](char* data, std::size_t max) { return file.read(data, max); };
  // After an abort frame the error goes out as the ERR line that follows it.
  co_return co_await wire::send_stream(
      *channel_, length, source, protocol::kDefaultFrameBytes,
      [this](std::uint64_t n) { bytes_ = n; }, before_end, &shared_->transfer_io,
      &shared_->transfer_memory);
}

awaitable<Result<void>> Session::get(const Request& request) {
  const auto& get = std::get<protocol::Get>(request);
  auto file = co_await files_->open_download(get.path, get.offset, get.digest);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t size = file->size();
  const std::string& stored = file->stored_digest();
  resumed_from_ = file->start();
  const std::string head = protocol::ok_line(
      {std::to_string(size), stored.empty() ? "-" : stored, std::to_string(file->start())});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  auto check = [&]() -> Result<void> {
    auto ok = file->check();
    if (!ok) {
      spdlog::error("user={} path={} stored file does not match its digest (bitrot?)", user_,
                    protocol::percent_encode(get.path));
    }
    return ok;
  };
  if (auto sent = co_await stream_file(*file, size - file->start(), check); !sent) {
    co_return sent;
  }
  const std::string trailer = protocol::digest_line(file->finish());
  co_return co_await channel_->write(trailer);
}

awaitable<Result<void>> Session::view(const Request& request) {
  const auto& view = std::get<protocol::View>(request);
  auto file = co_await files_->open_preview(view.path);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t length = std::min(file->size(), view.max_bytes);
  const std::string head = protocol::ok_line({std::to_string(length)});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  co_return co_await stream_file(*file, length, {});
}

awaitable<Result<void>> Session::hash(const Request& request) {
  const auto& hash = std::get<protocol::Hash>(request);
  auto digest = co_await files_->hash(hash.path);
  if (!digest) {
    co_return digest.error();
  }
  const std::string reply = protocol::ok_line({*digest});
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::verify(const Request&) {
  auto checks = co_await files_->verify();
  if (!checks) {
    co_return checks.error();
  }
  std::string reply = protocol::ok_line({std::to_string(checks->size())});
  for (const storage::FileCheck& check : *checks) {
    reply += protocol::serialize_file_status({to_wire(check.status), check.name});
  }
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::remove(const Request& request) {
  const auto& del = std::get<protocol::Delete>(request);
  if (auto removed = co_await files_->remove(del.path); !removed) {
    co_return removed;
  }
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::list(const Request& request) {
  const auto& list = std::get<protocol::List>(request);
  auto entries = co_await files_->list(list.path);
  if (!entries) {
    co_return entries.error();
  }
  std::string reply = protocol::ok_line({std::to_string(entries->size())});
  for (const storage::DirEntry& e : *entries) {
    reply += protocol::serialize_entry(to_wire(e));
    if (reply.size() >= (64U << 10)) {  // bounded memory for huge listings
      if (auto ok = co_await channel_->write(reply); !ok) {
        co_return ok;
      }
      reply.clear();
    }
  }
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::make_dir(const Request& request) {
  const auto& mkdir = std::get<protocol::MakeDir>(request);
  if (auto made = co_await files_->make_dir(mkdir.path, mkdir.parents); !made) {
    co_return made;
  }
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::remove_dir(const Request& request) {
  const auto& rmdir = std::get<protocol::RemoveDir>(request);
  if (auto removed = co_await files_->remove_dir(rmdir.path); !removed) {
    co_return removed;
  }
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::move(const Request& request) {
  const auto& move = std::get<protocol::Move>(request);
  auto moved = co_await files_->move(move.path, move.target);
  if (!moved) {
    co_return moved.error();
  }
  const std::string reply = protocol::ok_line({protocol::percent_encode(*moved)});
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::stat(const Request& request) {
  const auto& stat = std::get<protocol::Stat>(request);
  auto entry = co_await files_->stat(stat.path);
  if (!entry) {
    co_return entry.error();
  }
  const std::string reply = protocol::stat_line(to_wire(*entry));
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::quit(const Request&) {
  quit_ = true;
  co_return co_await channel_->write(protocol::ok_line());
}

// COMPRESS zstd: from now on both sides may send compressed data frames.
awaitable<Result<void>> Session::compress(const Request& request) {
  const auto& compress = std::get<protocol::Compress>(request);
  if (!config().offer_compression) {
    co_return make_error(Errc::kBadRequest, "compression is not offered by this server");
  }
  if (compress.algorithm != "zstd") {
    co_return make_error(Errc::kBadRequest, "unknown compression " + compress.algorithm);
  }
  channel_->set_compression(true);
  const std::string reply = protocol::ok_line({"zstd"});
  co_return co_await channel_->write(reply);
}

// NOTICES delay: this client understands DELAY lines before a LOGIN reply.
awaitable<Result<void>> Session::notices(const Request& request) {
  const auto& notices = std::get<protocol::Notices>(request);
  if (notices.kind != "delay") {
    co_return make_error(Errc::kBadRequest, "unknown notice " + notices.kind);
  }
  delay_notices_ = true;
  const std::string reply = protocol::ok_line({"delay"});
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::login_again(const Request&) {
  co_return make_error(Errc::kBadRequest, "already logged in");
}

std::string describe(const tcp::socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  const auto address = ep.address();
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(ep.port());
}

}  // namespace

awaitable<void> run_session(std::shared_ptr<Shared> shared, tcp::socket socket,
                            Admission::Ticket ticket) {
  const std::string peer = describe(socket);
  boost::system::error_code ec;
  const std::string source = socket.remote_endpoint(ec).address().to_string();
  auto channel =
      std::make_shared<wire::Channel>(std::move(socket), *shared->tls, shared->config.io_timeout);
  channel->set_min_rate(shared->config.min_transfer_rate);
  LiveSessions::Entry entry =
      shared->sessions.add([weak = std::weak_ptr<wire::Channel>(channel)](LiveSessions::Why why) {
        if (auto ch = weak.lock()) {
          asio::post(ch->stream().get_executor(), [ch, why] { stop_channel(*ch, why); });
        }
      });
  // A newcomer may take this connection's place while it is not logged in
  // yet: then it is closed on its own executor and the session ends as on
  // any cut connection.
  const bool standing = ticket.on_evict([weak = std::weak_ptr<wire::Channel>(channel)] {
    if (auto evicted = weak.lock()) {
      asio::post(evicted->stream().get_executor(), [evicted] { evicted->close(); });
    }
  });
  if (shared->draining || !standing) {
    channel->close();
    co_return;
  }
  channel->start_watchdog();
  Session session(shared, channel, peer, source, ticket, entry);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    spdlog::error("peer={} session error: {}", peer, e.what());
  }
  channel->close();
}

}  // namespace sfs::server
