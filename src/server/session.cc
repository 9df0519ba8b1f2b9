#include "server/session.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "auth/auth_file.h"
#include "auth/login_gate.h"
#include "auth/password_hash.h"
#include "crypto/digest.h"
#include "wire/channel.h"
#include "wire/transfer.h"
#include "protocol/limits.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "asio/offload.h"
#include "server/blocking.h"
#include "server/logging.h"
#include "server/usage_scan.h"

namespace sfs::server {
// The sfs lines, frames and transfers moved from net/ to wire/ (the
// transport split); these names keep this file's code as it was while the
// session is being rewritten. Drop them for wire:: once it has settled.
namespace net {
using sfs::net::Clock, sfs::net::MemoryBudget, sfs::net::Transfer;
using wire::Channel, wire::Check, wire::WireCount;
using wire::receive_stream, wire::send_stream, wire::stream_completed;
}  // namespace net
namespace {

using protocol::Request;

// How often a busy login attempt asks the login gate again (while the
// verdicts of the attempts before it are awaited).
constexpr auto kBusyPoll = std::chrono::milliseconds(20);
// Check-queue priorities per standing: one per count of the source's other
// attempts in flight.
constexpr unsigned kSourceRanks = 16;

// Runs on the channel's executor when the registry asks a session to stop.
// Draining closes an idle session. An account change also cuts a command in
// flight, as a cut connection would (an upload keeps its partial data for
// resume), and wakes an idle session, whose read then fails, so that it can
// tell its user why before it closes (serve_commands).
void stop_channel(net::Channel& channel, LiveSessions::Why why) {
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

class Session {
 public:
  Session(std::shared_ptr<Shared> shared, std::shared_ptr<net::Channel> channel, std::string peer,
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
  // Runs one LOGIN through the login gate: refused, or held for its
  // penalty (the hold extends `deadline`), then checked.
  awaitable<LoginResult> try_login(const protocol::Login& login, net::Clock::time_point& deadline);
  // The login gate's decision once it is not busy; nullopt when it stays
  // busy until `deadline` (or the server drains).
  awaitable<std::optional<auth::LoginGate::Attempt>> admit(const protocol::Login& login,
                                                           net::Clock::time_point deadline);
  // Answers a LOGIN the gate refused (its password unchecked).
  awaitable<LoginResult> refuse(const std::string& user_field,
                                const auth::LoginGate::Decision& decision);
  awaitable<bool> hold(std::chrono::steady_clock::duration wait);
  // Runs the password check at its turn in the check queue.
  awaitable<auth::UserDb::Verdict> check_password(const protocol::Login& login,
                                                  const auth::LoginGate::Decision& decision);
  // After the right password: storage, the rehash, "OK".
  // `version` is the user's password version read before the check.
  awaitable<LoginResult> accept(const protocol::Login& login, std::uint64_t version);
  bool rehash(const std::string& user, const std::string& password, std::uint64_t version);
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

  awaitable<Result<void>> stream_file(const storage::ReadFile& file, std::uint64_t offset,
                                      std::uint64_t length, crypto::Digest* hash,
                                      const net::Check& before_end);
  Result<QuotaLedger::Reservation> reserve_quota(const protocol::Put& put);
  awaitable<Result<void>> receive_upload(const protocol::Put& put, storage::Upload& upload,
                                         QuotaLedger::Reservation& reservation);
  void record(std::string_view verb, const std::string& path, const Result<void>& result);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<net::Channel> channel_;
  std::string peer_;    // "address:port", for logs
  std::string source_;  // the address alone, for penalties
  Admission::Ticket& ticket_;
  LiveSessions::Entry& entry_;
  std::string user_;
  bool delay_notices_ = false;  // the client sent NOTICES delay
  std::optional<storage::UserTree> tree_;
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

// Hashes the first `length` bytes of a stored file or an upload's partial.
template <typename File>
Result<void> hash_prefix(const File& file, std::uint64_t length, crypto::Digest& hash) {
  return crypto::hash_prefix([&file](char* data, std::size_t max,
                                     std::uint64_t at) { return file.read_at(data, max, at); },
                             length, hash);
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

// The password is known right now, so a hash made with outdated costs is
// replaced in the auth file (atomically; the running server keeps
// verifying with the old one, which stays valid). Only over the hash this
// password was checked against (`version`), in memory and in the file: a
// rehash of the old password must never undo a change the administrator
// made meanwhile.
bool Session::rehash(const std::string& user, const std::string& password, std::uint64_t version) {
  auto hash = auth::hash_password(password);
  if (!hash) {
    spdlog::warn("user={} could not rehash the password: {}", user, hash.error().message);
    return false;
  }
  // Once is enough, saved or not.
  const auto replaced = shared_->users.replace_hash(user, version, *hash);
  if (!replaced) {
    spdlog::info("user={} password changed during the rehash; the rehash is dropped", user);
    return false;
  }
  const std::lock_guard lock(shared_->auth_file_mutex);
  auto file_lock = auth::AuthFileLock::acquire(config().auth_file);
  auto file = file_lock ? auth::AuthFile::load(config().auth_file)
                        : Result<auth::AuthFile>(file_lock.error());
  if (file) {
    const auth::Entry* entry = file->find(user);
    if (entry == nullptr || entry->secret != *replaced) {
      spdlog::info("user={} changed in the auth file meanwhile; the rehash is not saved", user);
      return false;
    }
    file->set(user, *hash);
    if (auto saved = file->save(); !saved) {
      file = saved.error();
    }
  }
  if (!file) {
    spdlog::warn("user={} could not save the rehashed password: {}", user, file.error().message);
    return false;
  }
  spdlog::info("user={} password rehashed with the current Argon2id costs", user);
  return true;
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
        co_await channel_->write(protocol::error_line(Errc::kProtocol, line.error().message));
      }
      spdlog::info("peer={} closed before login: {}", peer_, line.error().message);
      co_return false;
    }
    auto request = protocol::parse_request(*line);
    const auto* login = request ? std::get_if<protocol::Login>(&*request) : nullptr;
    if (request && std::holds_alternative<protocol::Notices>(*request)) {
      auto ok = co_await notices(*request);
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
      co_await channel_->write(protocol::error_line(e.code, e.message));
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

awaitable<std::optional<auth::LoginGate::Attempt>> Session::admit(const protocol::Login& login,
                                                                  net::Clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    auto attempt = shared_->login_gate.begin(source_, login.user, net::Clock::now());
    if (!attempt.decision().busy) {
      co_return std::move(attempt);
    }
    if (net::Clock::now() + kBusyPoll >= deadline) {
      co_return std::nullopt;
    }
    boost::system::error_code ec;
    timer.expires_after(kBusyPoll);
    channel_->set_idle(true);  // waiting on the server: a draining server need not wait for it
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    channel_->set_idle(false);
    if (shared_->draining) {
      co_return std::nullopt;
    }
  }
}

awaitable<Session::LoginResult> Session::try_login(const protocol::Login& login,
                                                   net::Clock::time_point& deadline) {
  // The user name is logged percent-encoded: it is untrusted input.
  const std::string user_field = protocol::percent_encode(login.user);
  auto admitted = co_await admit(login, deadline);
  if (!admitted) {
    spdlog::warn("user={} peer={} login refused: busy past the login deadline", user_field, peer_);
    const std::string message =
        "too many logins in progress for this account or address; try again later";
    co_await channel_->write(protocol::error_line(Errc::kAuth, message));
    co_return LoginResult::kClosed;  // the deadline has passed
  }
  auth::LoginGate::Attempt& attempt = *admitted;
  const auth::LoginGate::Decision& decision = attempt.decision();
  const std::string_view standing = auth::LoginGate::standing_name(decision.standing);
  if (!decision.admitted) {
    co_return co_await refuse(user_field, decision);
  }
  if (decision.wait > net::Clock::duration::zero()) {
    spdlog::info("user={} peer={} login delayed {} ms source={}", user_field, peer_,
                 std::chrono::ceil<std::chrono::milliseconds>(decision.wait).count(), standing);
    deadline += decision.wait;  // the client's time to log in does not run meanwhile
    if (!co_await hold(decision.wait) || shared_->draining) {
      co_return LoginResult::kClosed;
    }
  }
  // Read before the check, and again once the session is listed under the
  // user: a reload in between (which could not end this session yet) shows
  // as another version.
  const std::uint64_t version = shared_->users.version(login.user);
  const auth::UserDb::Verdict verdict = co_await check_password(login, decision);
  const std::string_view method =
      verdict.method == auth::UserDb::Method::kCache ? "cache" : "argon2id";
  if (verdict.ok) {
    attempt.succeeded(net::Clock::now());
    const LoginResult result = co_await accept(login, version);
    if (result == LoginResult::kLoggedIn) {
      spdlog::info("user={} peer={} login ok check={} source={}", user_, peer_, method, standing);
    }
    co_return result;
  }
  attempt.failed(net::Clock::now());
  spdlog::warn("user={} peer={} login failed check={} source={}", user_field, peer_, method,
               standing);
  if (!co_await channel_->write(protocol::error_line(Errc::kAuth, "login failed"))) {
    co_return LoginResult::kClosed;
  }
  co_return LoginResult::kRefused;
}

awaitable<Session::LoginResult> Session::refuse(const std::string& user_field,
                                                const auth::LoginGate::Decision& decision) {
  const auto retry = std::chrono::ceil<std::chrono::seconds>(decision.retry_after).count();
  spdlog::warn("user={} peer={} login refused source={} retry={}s", user_field, peer_,
               auth::LoginGate::standing_name(decision.standing), retry);
  const std::string message = "too many failed logins for this account or address; try again in " +
                              std::to_string(retry) + " s";
  if (!co_await channel_->write(protocol::error_line(Errc::kAuth, message))) {
    co_return LoginResult::kClosed;
  }
  co_return LoginResult::kRefused;
}

// Trusted and clean sources first, never behind failing ones; within a
// standing, sources with fewer attempts in flight first.
awaitable<auth::UserDb::Verdict> Session::check_password(
    const protocol::Login& login, const auth::LoginGate::Decision& decision) {
  const unsigned priority = static_cast<unsigned>(decision.standing) * kSourceRanks +
                            std::min(decision.source_in_flight, kSourceRanks - 1);
  const auto turn = co_await shared_->check_queue.wait(priority);
  co_return co_await run_blocking(shared_->password_checks,
                                  [&] { return shared_->users.check(login.user, login.password); });
}

// Only this connection waits; everyone else is served meanwhile. A client
// that asked for notices hears how long first.
awaitable<bool> Session::hold(std::chrono::steady_clock::duration wait) {
  if (delay_notices_) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
    if (!co_await channel_->write(protocol::delay_line(ms))) {
      co_return false;
    }
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  timer.expires_after(wait);
  channel_->set_idle(true);  // waiting on the server: a draining server need not wait for it
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  channel_->set_idle(false);
  co_return true;
}

awaitable<Session::LoginResult> Session::accept(const protocol::Login& login,
                                                 std::uint64_t version) {
  if (!ticket_.logged_in()) {  // evicted from the pre-login pool meanwhile: being closed
    co_return LoginResult::kClosed;
  }
  entry_.logged_in(login.user);
  if (shared_->users.version(login.user) != version) {
    spdlog::info("user={} peer={} login refused: the auth file changed during the check",
                 login.user, peer_);
    co_await channel_->write(
        protocol::error_line(Errc::kAuth, "the account changed during the login; log in again"));
    co_return LoginResult::kClosed;
  }
  if (shared_->users.needs_rehash(login.user)) {
    const auto turn = co_await shared_->check_queue.wait(0);
    co_await run_blocking(shared_->password_checks,
                          [&] { return rehash(login.user, login.password, version); });
  }
  auto tree = shared_->store.user(login.user);
  if (!tree) {
    spdlog::error("user={} peer={} storage: {}", login.user, peer_, tree.error().message);
    co_await channel_->write(protocol::error_line(Errc::kIo, "storage unavailable"));
    co_return LoginResult::kClosed;
  }
  user_ = login.user;
  tree_.emplace(std::move(*tree));
  // (An if, not ?:, around co_await: GCC 12 fails to compile the latter.)
  if (!co_await channel_->write(protocol::ok_line())) {
    co_return LoginResult::kClosed;
  }
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
        co_await channel_->write(protocol::error_line(Errc::kProtocol, line.error().message));
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
    record(protocol::verb_of(*request), path_of(*request), result);
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

void Session::record(std::string_view verb, const std::string& path, const Result<void>& result) {
  // With compression agreed, a transfer also logs what crossed the wire.
  const net::WireCount& wire = channel_->wire_count();
  const bool transfer = verb == "PUT" || verb == "GET" || verb == "VIEW";
  log_operation({user_, peer_, verb, path, bytes_, resumed_from_,
                 result ? std::string_view("ok") : protocol::error_name(result.error().code),
                 result ? std::string_view() : std::string_view(result.error().message),
                 channel_->compression() && transfer, wire.wire_bytes, wire.compressed_frames,
                 wire.raw_frames});
}

// Checks the quota against what is stored plus what the user's other
// operations in flight reserved, and holds this upload's share until it
// ends. A file it replaces makes room; a new name is one more entry.
Result<QuotaLedger::Reservation> Session::reserve_quota(const protocol::Put& put) {
  if (!shared_->quota_ledger.enabled()) {
    return QuotaLedger::Reservation();
  }
  const std::uint64_t replaced = tree_->size_of(put.path);
  const bool new_file = replaced == 0 && !tree_->open_read(put.path);
  return shared_->quota_ledger.reserve(user_, {put.size, new_file ? 1U : 0U}, replaced);
}

awaitable<Result<void>> Session::put(const Request& request) {
  const auto& put = std::get<protocol::Put>(request);
  if (put.size > config().max_file_bytes) {
    co_return make_error(Errc::kTooLarge, "file larger than the server's limit");
  }
  if (auto ok = co_await know_usage(*shared_, user_, *tree_); !ok) {
    co_return ok;
  }
  auto upload = tree_->create(put.path, put.size);
  if (!upload) {
    co_return upload.error();
  }
  // A partial file kept from an earlier attempt is this upload's now: its
  // share is in the reservation from here on, no longer in the usage.
  if (upload->held() > 0) {
    shared_->quota_ledger.record(user_, {}, {upload->held(), 1});
  }
  auto reservation = reserve_quota(put);  // held until this upload ends
  if (!reservation) {
    upload->discard();
    co_return reservation.error();
  }
  auto received = co_await receive_upload(put, *upload, *reservation);
  if (!received && received.error().code != Errc::kNetwork) {
    upload->discard();  // refused for good; only a cut connection may resume
  } else if (!received) {
    if (const std::uint64_t kept = upload->keep_for_resume(); kept > 0) {
      shared_->quota_ledger.record(user_, {kept, 1}, {});
    }
  }
  co_return received;
}

awaitable<Result<void>> Session::receive_upload(const protocol::Put& put, storage::Upload& upload,
                                                QuotaLedger::Reservation& reservation) {
  // Offer what an interrupted upload left, with the digest of it, so the
  // client can prove it is resuming the same data.
  crypto::Digest hash;
  std::uint64_t held = upload.held() <= put.size ? upload.held() : 0;
  // Off the network threads when there is something to hash; a fresh
  // upload does not wait for any pool.
  if (held > 0) {
    if (auto ok =
            co_await run_blocking(shared_->disk, [&] { return hash_prefix(upload, held, hash); });
        !ok) {
      held = 0;
      hash.reset();
    }
  }
  const std::string offer =
      protocol::ok_line({std::to_string(held), held > 0 ? hash.hex_digest() : std::string("-")});
  if (auto ok = co_await channel_->write(offer); !ok) {
    co_return ok;
  }
  auto from_line = co_await channel_->read_line(config().max_line_bytes);
  if (!from_line) {
    co_return from_line.error();
  }
  auto from = protocol::parse_from_line(*from_line);
  if (!from || (*from != 0 && *from != held)) {
    co_return make_error(Errc::kProtocol, "FROM must be 0 or the offered length");
  }
  if (*from == 0) {
    hash.reset();
  }
  resumed_from_ = *from;
  if (auto ok = upload.continue_at(*from); !ok) {
    co_return ok;
  }
  auto sink = [&](const char* data, std::size_t n) {
    hash.update(data, n);
    return upload.write(data, n);
  };
  auto received = co_await net::receive_stream(
      *channel_, put.size - *from, sink, [this](std::uint64_t n) { bytes_ = n; },
      config().max_frame_bytes, &shared_->transfer_io, &shared_->transfer_memory);
  if (!received) {
    if (net::stream_completed(received.error())) {  // e.g. disk full: skip the trailer too
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
  const std::string actual = hash.hex_digest();
  if (*claimed != actual) {
    co_return make_error(Errc::kIntegrity, "upload does not match its digest; nothing stored");
  }
  if (auto ok = upload.set_digest(actual); !ok) {
    co_return ok;
  }
  auto replaced = upload.commit();
  if (!replaced) {
    co_return replaced.error();
  }
  // Stored now, so booked in the usage: the reservation ends before the
  // client hears OK and sends its next upload.
  shared_->quota_ledger.record(user_, {put.size, 1}, *replaced);
  reservation = QuotaLedger::Reservation();
  const std::string done = protocol::ok_line({std::to_string(put.size), actual});
  co_return co_await channel_->write(done);
}

awaitable<Result<void>> Session::stream_file(const storage::ReadFile& file, std::uint64_t offset,
                                             std::uint64_t length, crypto::Digest* hash,
                                             const net::Check& before_end) {
  std::uint64_t position = offset;
  auto source = [&](char* data, std::size_t max) -> Result<std::size_t> {
    auto n = file.read_at(data, max, position);
    if (n) {
      position += *n;
      if (hash != nullptr) {
        hash->update(data, *n);
      }
    }
    return n;
  };
  // After an abort frame the error goes out as the ERR line that follows it.
  co_return co_await net::send_stream(
      *channel_, length, source, protocol::kDefaultFrameBytes,
      [this](std::uint64_t n) { bytes_ = n; }, before_end, &shared_->transfer_io,
      &shared_->transfer_memory);
}

awaitable<Result<void>> Session::get(const Request& request) {
  const auto& get = std::get<protocol::Get>(request);
  auto file = tree_->open_read(get.path);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t size = file->size();
  const std::string stored = file->stored_digest();
  // Resume only when the client's partial copy is of this very content;
  // otherwise send everything.
  const bool resumable = !stored.empty() && get.digest == stored && get.offset <= size;
  const std::uint64_t start = resumable ? get.offset : 0;
  resumed_from_ = start;
  crypto::Digest hash;
  // Hashing what the client already holds reads it all from disk: off the
  // network threads (and nothing to wait for when it holds nothing).
  if (start > 0) {
    if (auto ok =
            co_await run_blocking(shared_->disk, [&] { return hash_prefix(*file, start, hash); });
        !ok) {
      co_return ok;
    }
  }
  const std::string head = protocol::ok_line(
      {std::to_string(size), stored.empty() ? "-" : stored, std::to_string(start)});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  std::string actual;
  auto check = [&]() -> Result<void> {
    actual = hash.hex_digest();
    if (!stored.empty() && actual != stored) {
      spdlog::error("user={} path={} stored file does not match its digest (bitrot?)", user_,
                    protocol::percent_encode(get.path));
      return make_error(Errc::kIntegrity, "stored file is damaged (digest mismatch); not sent");
    }
    return {};
  };
  if (auto sent = co_await stream_file(*file, start, size - start, &hash, check); !sent) {
    co_return sent;
  }
  if (stored.empty()) {
    (void)file->store_digest(actual);  // a file stored before digests: remember it now
  }
  const std::string trailer = protocol::digest_line(actual);
  co_return co_await channel_->write(trailer);
}

awaitable<Result<void>> Session::view(const Request& request) {
  const auto& view = std::get<protocol::View>(request);
  auto file = tree_->open_read(view.path);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t length = std::min(file->size(), view.max_bytes);
  const std::string head = protocol::ok_line({std::to_string(length)});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  co_return co_await stream_file(*file, 0, length, nullptr, {});
}

awaitable<Result<void>> Session::hash(const Request& request) {
  const auto& hash = std::get<protocol::Hash>(request);
  auto file = tree_->open_read(hash.path);
  if (!file) {
    co_return file.error();
  }
  std::string digest = file->stored_digest();
  if (digest.empty()) {
    auto computed =
        co_await run_queued(shared_->slow_jobs, user_, [&] { return file->compute_digest(); });
    if (!computed) {
      co_return computed.error();
    }
    digest = *computed;
    (void)file->store_digest(digest);
  }
  const std::string reply = protocol::ok_line({digest});
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::verify(const Request&) {
  auto checks = co_await run_queued(shared_->slow_jobs, user_, [this] { return tree_->verify(); });
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
  auto removed = tree_->remove(del.path);
  if (!removed) {
    co_return removed.error();
  }
  shared_->quota_ledger.record(user_, {}, *removed);
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::list(const Request& request) {
  const auto& list = std::get<protocol::List>(request);
  auto entries = tree_->list(list.path);
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
  if (auto ok = co_await know_usage(*shared_, user_, *tree_); !ok) {
    co_return ok;
  }
  // Folders are entries of --quota-files: checked and held before any is
  // made, booked once made.
  QuotaLedger::Reservation held;
  auto admit = [&](std::uint64_t count) -> Result<void> {
    auto reserved = shared_->quota_ledger.reserve(user_, {0, count});
    if (!reserved) {
      return reserved.error();
    }
    held = std::move(*reserved);
    return {};
  };
  auto made = tree_->make_dir(mkdir.path, mkdir.parents, admit);
  if (!made) {
    co_return made.error();
  }
  shared_->quota_ledger.record(user_, *made, {});
  held = QuotaLedger::Reservation();
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::remove_dir(const Request& request) {
  const auto& rmdir = std::get<protocol::RemoveDir>(request);
  auto removed = tree_->remove_dir(rmdir.path);
  if (!removed) {
    co_return removed.error();
  }
  shared_->quota_ledger.record(user_, {}, *removed);
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::move(const Request& request) {
  const auto& move = std::get<protocol::Move>(request);
  // Off the network threads: moving a directory measures how deep it goes.
  // A move makes nothing new; it may replace a file or an empty folder.
  storage::Usage replaced;
  auto moved = co_await run_blocking(shared_->disk, [&] {
    return tree_->move(move.path, move.target, config().max_path_bytes, &replaced);
  });
  if (!moved) {
    co_return moved.error();
  }
  shared_->quota_ledger.record(user_, {}, replaced);
  const std::string reply = protocol::ok_line({protocol::percent_encode(*moved)});
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::stat(const Request& request) {
  const auto& stat = std::get<protocol::Stat>(request);
  auto entry = tree_->stat(stat.path);
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
      std::make_shared<net::Channel>(std::move(socket), *shared->tls, shared->config.io_timeout);
  channel->set_min_rate(shared->config.min_transfer_rate);
  LiveSessions::Entry entry =
      shared->sessions.add([weak = std::weak_ptr<net::Channel>(channel)](LiveSessions::Why why) {
        if (auto ch = weak.lock()) {
          asio::post(ch->stream().get_executor(), [ch, why] { stop_channel(*ch, why); });
        }
      });
  // A newcomer may take this connection's place while it is not logged in
  // yet: then it is closed on its own executor and the session ends as on
  // any cut connection.
  const bool standing = ticket.on_evict([weak = std::weak_ptr<net::Channel>(channel)] {
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
