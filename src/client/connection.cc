#include "client/connection.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "client/interrupt.h"
#include "client/local_digests.h"
#include "client/local_file.h"
#include "client/password.h"
#include "client/progress.h"
#include "client/trust_store.h"
#include "crypto/digest.h"
#include "net/socket_options.h"
#include "protocol/limits.h"
#include "protocol/numbers.h"
#include "protocol/path.h"
#include "protocol/percent.h"
#include "protocol/request.h"
#include "term/terminal.h"
#include "tls/context.h"
#include "wire/channel.h"
#include "wire/transfer.h"

namespace sfs::client {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kIoTimeout = std::chrono::seconds(60);

std::string server_key(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void warn_changed(const std::string& server, const TrustStore::Pin& pin, const std::string& seen,
                  const TrustStore& store) {
  std::fprintf(stderr,
               "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
               "@    WARNING: SERVER IDENTIFICATION HAS CHANGED!          @\n"
               "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
               "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n"
               "The certificate of %s is not the one you trusted before.\n"
               "Expected SHA256 fingerprint: %s\n"
               "Received SHA256 fingerprint: %s\n"
               "If the server's certificate was replaced on purpose, remove the pin for %s,\n"
               "line %zu of %s (sfs trust forget %s).\n",
               server.c_str(), pin.fingerprint.c_str(), seen.c_str(), server.c_str(), pin.line,
               store.shown_file().c_str(), server.c_str());
}

// Asks on the terminal whether to trust a new server. False without one.
bool user_accepts(const std::string& server, const std::string& fingerprint,
                  const std::string& note) {
  const std::string prompt = "The authenticity of server " + server +
                             " can't be established.\nIts certificate's SHA256 fingerprint is " +
                             fingerprint + note + ".\nTrust it and continue (yes/no)? ";
  // As ssh: anything but yes or no is asked again (a typo must neither
  // refuse nor trust); end of input or no terminal refuses.
  auto answer = term::read_from_terminal(prompt, true);
  while (answer && *answer != "yes" && *answer != "y" && *answer != "no" && *answer != "n") {
    answer = term::read_from_terminal("Please type 'yes' or 'no': ", true);
  }
  return answer && (*answer == "yes" || *answer == "y");
}

// Pins are per name as the user typed it. When that name is new but the
// address it led to has a pin, say so (never more: the name's pin alone
// decides, see docs/security.md). Empty when there is nothing to say.
std::string address_note(const TrustStore& store, const std::string& server,
                         const std::string& address, const std::string& seen) {
  if (address.empty() || address == server) {
    return {};
  }
  const auto pin = store.find(address);
  if (!pin) {
    return {};
  }
  const std::string where = "line " + std::to_string(pin->line) + " of " + store.shown_file();
  return pin->fingerprint == seen
             ? "; the same certificate is pinned for its address " + address + " (" + where +
                   "), but pins are per name"
             : "; its address " + address + " is pinned with another certificate (" + where + ")";
}

Result<std::uint64_t> size_field(const protocol::Reply& reply) {
  if (reply.fields.size() != 1) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  auto size = protocol::parse_u64(reply.fields[0]);
  if (!size) {
    return make_error(Errc::kProtocol, "malformed size from server");
  }
  return *size;
}

// What the server holds of an upload from an earlier attempt: its size and
// digest (the PUT reply's fields).
struct HeldPart {
  std::uint64_t size = 0;
  std::string digest;
};

// The fields of the OK reply to PUT: "<held> <digest of the held part>",
// `held` no more than the file's `size`.
Result<HeldPart> parse_put_offer(const protocol::Reply& reply, std::uint64_t size) {
  auto held = reply.fields.size() == 2 ? protocol::parse_u64(reply.fields[0])
                                       : Result<std::uint64_t>(make_error(Errc::kProtocol, ""));
  if (!held || *held > size) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  return HeldPart{*held, reply.fields[1]};
}

// Where the upload starts: after the server's part (`held` bytes, digest
// `held_digest`) when it is provably the start of this file, else at 0.
// `hash` then holds the digest of what is skipped, and `source` reads on
// from the returned offset.
Result<std::uint64_t> resume_point(LocalSource& source, std::uint64_t held,
                                   const std::string& held_digest, crypto::Digest& hash) {
  if (held == 0) {
    return 0;
  }
  auto read = [&](char* data, std::size_t n, std::uint64_t) { return source.read(data, n); };
  if (crypto::hash_prefix(read, held, hash) && hash.hex_digest() == held_digest) {
    return held;
  }
  hash.reset();
  SFS_RETURN_IF_ERROR(source.seek(0));
  return 0;
}

// The fields of the OK reply to GET: "<size> <digest or -> <start>", where
// `start` is 0 or the `offset` asked for.
struct GetOffer {
  std::uint64_t size = 0;
  std::string stored;  // the digest the server holds; empty when none
  std::uint64_t start = 0;
};

Result<GetOffer> parse_get_offer(const protocol::Reply& reply, std::uint64_t offset) {
  const bool well_formed = reply.fields.size() == 3 &&
                           (reply.fields[1] == "-" || crypto::is_digest_hex(reply.fields[1]));
  auto size = well_formed ? protocol::parse_u64(reply.fields[0])
                          : Result<std::uint64_t>(make_error(Errc::kProtocol, ""));
  auto start = well_formed ? protocol::parse_u64(reply.fields[2])
                           : Result<std::uint64_t>(make_error(Errc::kProtocol, ""));
  if (!size || !start || (*start != 0 && *start != offset) || *start > *size) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  return GetOffer{*size, reply.fields[1] == "-" ? std::string() : reply.fields[1], *start};
}

// Hashes the first `length` bytes a partial download holds into `hash`.
Result<void> hash_held_part(const LocalDownload& part, std::uint64_t length, crypto::Digest& hash) {
  if (length == 0) {
    return {};
  }
  auto read = [&](char* data, std::size_t n, std::uint64_t at) {
    return part.read_at(data, n, at);
  };
  return crypto::hash_prefix(read, length, hash);
}

// "sfs: put NAME: resuming at 1.1 GiB" when a transfer goes on from `at`.
void announce_resume(const char* verb, const std::string& name, std::uint64_t at) {
  if (at > 0) {
    std::fprintf(stderr, "sfs: %s %s: resuming at %s\n", verb, name.c_str(),
                 human_bytes(static_cast<double>(at)).c_str());
  }
}

// Readies the partial download of `remote` for the server's offer: `hash`
// takes the part kept before `offer.start`, the whole file's digest is
// recorded, and a resume is announced.
Result<void> continue_part(LocalDownload& part, const GetOffer& offer, crypto::Digest& hash,
                           const std::string& remote) {
  SFS_RETURN_IF_ERROR(hash_held_part(part, offer.start, hash));
  SFS_RETURN_IF_ERROR(part.continue_at(offer.start));
  if (!offer.stored.empty()) {
    part.record_digest(offer.stored);
  }
  announce_resume("get", remote, offer.start);
  return {};
}

// Shows `done` bytes of a transfer: on its own bar, or to the observer of
// a display over many files.
void show_progress(std::optional<ProgressBar>& bar,
                   const std::function<void(std::uint64_t)>& observer, std::uint64_t done) {
  if (bar) {
    bar->update(done);
  }
  if (observer) {
    observer(done);
  }
}

// One line on stderr when a transfer continues an interrupted one, so that
// the user knows why it is quick (or that the old part was kept).
// The PUT request for `source`, with its modification time when `keep_time`
// (one before 1970 cannot be sent).
protocol::Put put_request(const std::string& remote, const LocalSource& source, bool keep_time) {
  protocol::Put put{remote, source.size()};
  if (keep_time && source.mtime() >= 0) {
    put.mtime = static_cast<std::uint64_t>(source.mtime());
  }
  return put;
}

// Waits `delay`, in short steps so that Ctrl-C (in the shell) ends the wait.
// False when it did.
bool pause_unless_interrupted(std::chrono::milliseconds delay) {
  constexpr auto kStep = std::chrono::milliseconds(50);
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupt_requested()) {
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(0), kStep));
  }
  return !interrupt_requested();
}

// Why a connection was lost, for "connection lost (WHY)": the message
// without a "connection lost: " of its own.
std::string loss_reason(const Error& error) {
  constexpr std::string_view kPrefix = "connection lost: ";
  const std::string& message = error.message;
  return message.starts_with(kPrefix) ? message.substr(kPrefix.size()) : message;
}

// A number in [0, 1) for the backoff's jitter.
double random_fraction() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

std::chrono::milliseconds backoff_delay(unsigned attempt, double jitter) {
  auto delay = kFirstBackoff;
  for (unsigned i = 1; i < attempt && delay < kMaxBackoff; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, kMaxBackoff);
  const double shortened = static_cast<double>(delay.count()) * (1.0 - 0.25 * jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(shortened));
}

Connection::Connection(const ConnectOptions& options)
    : server_(server_key(options.host, options.port)), options_(options) {}

Connection::~Connection() {
  if (channel_) {
    channel_->close();
    io_.poll();  // let the watchdog finish
  }
}

template <typename T>
Result<T> Connection::run(awaitable<Result<T>> operation) {
  std::optional<Result<T>> out;
  asio::co_spawn(
      io_,
      [&out, op = std::move(operation)]() mutable -> awaitable<void> {
        out.emplace(co_await std::move(op));
      },
      [&out](const std::exception_ptr& e) {
        if (e && !out) {
          out.emplace(make_error(Errc::kInternal, "unexpected error in the client"));
        }
      });
  while (!out && io_.run_one() > 0) {
  }
  if (!out) {
    return make_error(Errc::kInternal, "client event loop stopped");
  }
  return std::move(*out);
}

// pipeline.cc runs these too.
template Result<void> Connection::run(awaitable<Result<void>> operation);
template Result<bool> Connection::run(awaitable<Result<bool>> operation);

Result<std::unique_ptr<Connection>> Connection::open(const ConnectOptions& options) {
  std::unique_ptr<Connection> conn(new Connection(options));
  SFS_ASSIGN_OR_RETURN(auto tls, tls::make_client_context());
  conn->tls_ = std::move(tls);
  SFS_RETURN_IF_ERROR(conn->open_channel());
  return conn;
}

Result<void> Connection::open_channel() {
  channel_ = std::make_shared<wire::Channel>(tcp::socket(io_), *tls_, kIoTimeout);
  channel_->start_watchdog();
  SFS_RETURN_IF_ERROR(run(connect(options_.host, options_.port)));
  SFS_RETURN_IF_ERROR(verify_server(options_));
  return run(read_greeting());
}

void Connection::cut() {
  // A shutdown, not a close: operations in flight fail at once, while the
  // socket they use stays valid until the transfer has unwound.
  boost::system::error_code ignored;
  channel_->stream().socket().shutdown(tcp::socket::shutdown_both, ignored);
}

Error Connection::interrupted_at(std::uint64_t done) {
  return make_error(Errc::kNetwork, "interrupted at " + human_bytes(static_cast<double>(done)) +
                                        "; run it again to resume");
}

bool Connection::peer_closed() {
  if (!channel_ || !channel_->alive() || channel_->input_available() > 0) {
    return true;
  }
  // A peek that must not wait: nothing to read (would_block) is the only
  // healthy answer; data, end of stream or an error all say "closed".
  auto& socket = channel_->stream().socket();
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  char byte = 0;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  boost::system::error_code ignored;
  socket.non_blocking(false, ignored);
  return ec != asio::error::would_block;
}

Error Connection::closed_reason() {
  // What the server sent is here already, or the socket is closed: the read
  // returns at once either way.
  auto said = run(request(""));
  if (said && !said->ok) {
    return said->to_error();
  }
  return make_error(Errc::kNetwork, "connection closed by the server");
}

Result<void> Connection::reconnect() {
  channel_->close();
  io_.restart();    // run() may have left the loop stopped
  io_.poll();       // let the old channel's coroutines end
  io_.restart();    // (and poll() stops it again when it runs out of work)
  offers_.reset();  // the server may have changed
  SFS_RETURN_IF_ERROR(open_channel());
  SFS_RETURN_IF_ERROR(login(user_, password_));
  if (compress_) {
    SFS_RETURN_IF_ERROR(enable_compression());
  }
  gave_up_ = false;
  return {};
}

Result<void> Connection::restore() {
  auto again = reconnect();
  if (again || !may_retry(again.error())) {
    return again;
  }
  unsigned used = 0;
  return retry_connect(again.error(), used);
}

bool Connection::may_retry(const Error& error) const {
  return error.code == Errc::kNetwork && options_.retries > 0 && !interrupt_requested();
}

Result<void> Connection::retry_connect(const Error& lost, unsigned& used) {
  Error why = lost;
  while (used < options_.retries) {
    ++used;
    const auto delay = backoff_delay(used, random_fraction());
    std::fprintf(stderr, "sfs: connection lost (%s); reconnecting in %.1f s (attempt %u of %u)\n",
                 loss_reason(why).c_str(), static_cast<double>(delay.count()) / 1000.0, used,
                 options_.retries);
    if (!pause_unless_interrupted(delay)) {
      return make_error(Errc::kNetwork, "interrupted while waiting to reconnect");
    }
    auto again = reconnect();
    if (again) {
      return {};
    }
    if (again.error().code != Errc::kNetwork) {  // a changed identity, a refused login
      return again.error();
    }
    why = again.error();
  }
  gave_up_ = true;
  return make_error(Errc::kNetwork, "connection lost (" + loss_reason(why) + "); gave up after " +
                                        std::to_string(used) + " attempts to reconnect");
}

template <typename T>
Result<T> Connection::retrying(const std::function<Result<T>()>& attempt) {
  unsigned used = 0;
  for (;;) {
    Result<T> result = attempt();
    if (result || !may_retry(result.error())) {
      return result;
    }
    SFS_RETURN_IF_ERROR(retry_connect(result.error(), used));
  }
}

// pipeline.cc retries these too.
template Result<void> Connection::retrying(const std::function<Result<void>()>& attempt);
template Result<bool> Connection::retrying(const std::function<Result<bool>()>& attempt);

awaitable<Result<void>> Connection::connect(std::string host, std::uint16_t port) {
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  channel_->set_deadline(kConnectTimeout);
  const auto endpoints = co_await resolver.async_resolve(
      host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return make_error(Errc::kNetwork, "cannot resolve " + host + ": " + ec.message());
  }
  auto& socket = channel_->stream().socket();
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return make_error(Errc::kNetwork, "cannot connect to " + server_ + ": " + ec.message());
  }
  net::set_stream_options(socket);
  asio::ip::make_address(host, ec);
  if (ec) {  // a name, not an address: send it as SNI
    SSL_set_tlsext_host_name(channel_->stream().native_handle(), host.c_str());
  }
  auto shaken = co_await channel_->handshake(tls::Stream::Role::kClient, kConnectTimeout);
  if (!shaken) {
    co_return make_error(Errc::kNetwork, "TLS handshake with " + server_ + " failed (" +
                                             shaken.error().message +
                                             "); is it an sfs server speaking TLS 1.3?");
  }
  co_return Result<void>{};
}

Result<void> Connection::verify_server(const ConnectOptions& options) {
  if (!options.ca_file.empty()) {
    return tls::verify_against_ca_file(channel_->stream().native_handle(), options.ca_file,
                                       options.host);
  }
  const std::string seen = tls::peer_fingerprint(channel_->stream().native_handle());
  const TrustStore store(options.known_servers.empty() ? TrustStore::default_path()
                                                       : options.known_servers);
  if (const auto pin = store.find(server_)) {
    if (pin->fingerprint == seen) {
      return {};
    }
    warn_changed(server_, *pin, seen, store);
    return make_error(Errc::kTrust, "server identity of " + server_ + " has changed (pinned for " +
                                        server_ + " at " + store.shown_file() + ":" +
                                        std::to_string(pin->line) +
                                        "); refusing to connect (no password sent)");
  }
  const std::string note = address_note(store, server_, peer_address(), seen);
  if (options.trust_new) {
    std::fprintf(stderr, "sfs: trusting new server %s with SHA256 fingerprint %s%s\n",
                 server_.c_str(), seen.c_str(), note.c_str());
  } else if (!user_accepts(server_, seen, note)) {
    return make_error(Errc::kTrust, "unknown server " + server_ + " (SHA256 fingerprint " + seen +
                                        ")" + note +
                                        "; check it and run again with --trust-new, or use "
                                        "--ca-file");
  }
  SFS_RETURN_IF_ERROR(store.add(server_, seen));
  std::fprintf(stderr, "sfs: pinned the server key for %s in %s\n", server_.c_str(),
               store.shown_file().c_str());
  return {};
}

std::string Connection::peer_address() {
  boost::system::error_code ec;
  const auto endpoint = channel_->stream().socket().remote_endpoint(ec);
  return ec ? std::string() : server_key(endpoint.address().to_string(), endpoint.port());
}

awaitable<Result<void>> Connection::read_greeting() {
  SFS_CO_ASSIGN_OR_RETURN(auto line, co_await channel_->read_line(protocol::kMaxLineBytes));
  SFS_CO_ASSIGN_OR_RETURN(auto version, protocol::parse_greeting(line));
  if (version != protocol::kVersion) {
    co_return make_error(Errc::kProtocol, "server speaks protocol version " +
                                              std::to_string(version) + ", this client speaks " +
                                              std::to_string(protocol::kVersion));
  }
  co_return Result<void>{};
}

awaitable<Result<protocol::Reply>> Connection::request(std::string line) {
  if (!line.empty()) {
    SFS_CO_RETURN_IF_ERROR(co_await channel_->write(line));
  }
  SFS_CO_ASSIGN_OR_RETURN(auto reply_line, co_await channel_->read_line(protocol::kMaxLineBytes));
  co_return protocol::parse_reply(reply_line);
}

// NOTICES goes out in the same write as LOGIN, so it costs no round trip:
// an older server answers it with an error and then reads the LOGIN as
// before; then the reply to LOGIN may be preceded by one DELAY line.
awaitable<Result<protocol::Reply>> Connection::do_login(std::string user, std::string password) {
  const std::string lines = protocol::serialize_request(protocol::Notices{"delay"}) +
                            protocol::serialize_request(protocol::Login{user, password});
  SFS_CO_RETURN_IF_ERROR(co_await channel_->write(lines));
  SFS_CO_ASSIGN_OR_RETURN(auto notices, co_await request(""));
  const bool delay_notices =
      notices.ok && notices.fields.size() == 1 && notices.fields[0] == "delay";
  SFS_CO_ASSIGN_OR_RETURN(auto line, co_await channel_->read_line(protocol::kMaxLineBytes));
  if (delay_notices && line.starts_with("DELAY ")) {
    SFS_CO_ASSIGN_OR_RETURN(auto hold, protocol::parse_delay_line(line));
    std::fprintf(stderr,
                 "sfs: login delayed %lld s after repeated failures for this account or address\n",
                 static_cast<long long>(std::chrono::ceil<std::chrono::seconds>(hold).count()));
    SFS_CO_ASSIGN_OR_RETURN(line, co_await channel_->read_line(protocol::kMaxLineBytes));
  }
  co_return protocol::parse_reply(line);
}

Result<void> Connection::login(const std::string& user, const std::string& password) {
  SFS_ASSIGN_OR_RETURN(auto reply, run(do_login(user, password)));
  if (!reply.ok) {
    if (reply.code == Errc::kAuth && reply.message == "login failed") {
      return make_error(Errc::kAuth, "login failed: wrong user name or password");
    }
    if (reply.code == Errc::kAuth) {  // not checked, e.g. too many failures
      return make_error(Errc::kAuth, "login refused: " + reply.message);
    }
    return reply.to_error();
  }
  user_ = user;
  password_ = password;
  return {};
}

Result<void> Connection::enable_compression() {
  SFS_ASSIGN_OR_RETURN(auto reply,
                       run(request(protocol::serialize_request(protocol::Compress{"zstd"}))));
  if (!reply.ok) {
    // An older server does not know the command: the same for the user.
    return make_error(Errc::kBadRequest, reply.message);
  }
  if (reply.fields.size() != 1 || reply.fields[0] != "zstd") {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  channel_->set_compression(true);
  compress_ = true;
  return {};
}

bool Connection::compressing() const { return channel_->compression(); }

Connection::WireTotals Connection::last_transfer() const {
  const wire::WireCount& count = channel_->wire_count();
  return {count.data_bytes, count.wire_bytes};
}

namespace {

// The upload's final reply names the digest the server stored: the one
// sent, which is then remembered for the local file (every byte of it went
// through the digest, a resumed prefix too).
Result<void> stored_as_sent(const protocol::Reply& done, const std::string& digest,
                            const LocalSource& source) {
  if (!done.ok) {
    return done.to_error();
  }
  if (done.fields.size() != 2 || done.fields[1] != digest) {
    return make_error(Errc::kIntegrity, "server stored different data than was sent");
  }
  LocalDigests::shared().remember(source.status(), digest, source.opened_at());
  return Result<void>{};
}

}  // namespace

awaitable<Error> Connection::read_abort_reason() {
  SFS_CO_ASSIGN_OR_RETURN(auto reply, co_await request(""));
  if (reply.ok) {
    co_return make_error(Errc::kProtocol, "server aborted the transfer without a reason");
  }
  co_return reply.to_error();
}

awaitable<Result<void>> Connection::do_put(std::filesystem::path local, std::string remote,
                                           bool progress, bool resume, bool keep_time) {
  SFS_CO_ASSIGN_OR_RETURN(auto source, LocalSource::open(local));
  const std::uint64_t size = source.size();
  const std::string command = protocol::serialize_request(put_request(remote, source, keep_time));
  SFS_CO_ASSIGN_OR_RETURN(auto reply, co_await request(command));
  if (!reply.ok) {
    co_return reply.to_error();
  }
  SFS_CO_ASSIGN_OR_RETURN(const HeldPart offer, parse_put_offer(reply, size));
  crypto::Digest hash;
  SFS_CO_ASSIGN_OR_RETURN(const std::uint64_t from,
                          resume_point(source, resume ? offer.size : 0, offer.digest, hash));
  announce_resume("put", remote, from);
  const std::string start = protocol::from_line(from);
  SFS_CO_RETURN_IF_ERROR(co_await channel_->write(start));
  std::optional<ProgressBar> bar;
  if (progress && !observer_) {
    bar.emplace("put " + remote, size);
  }
  // Read inline: the client has one transfer at a time and nothing else to do.
  bool interrupted = false;
  const wire::Source read = [&](char* data, std::size_t max) -> awaitable<Result<std::size_t>> {
    if (interrupt_requested()) {  // Ctrl-C in the shell: cut, so the server keeps the part
      interrupted = true;
      cut();
      co_return make_error(Errc::kNetwork, "interrupted");
    }
    auto n = source.read(data, max);
    if (n) {
      hash.update(data, *n);
    }
    co_return n;
  };
  std::uint64_t at = from;
  auto sent = co_await wire::send_stream(*channel_, size - from, read, protocol::kDefaultFrameBytes,
                                         [&](std::uint64_t n) {
                                           at = from + n;
                                           show_progress(bar, observer_, at);
                                         });
  if (interrupted) {
    channel_->close();
    co_return interrupted_at(at);
  }
  if (!sent && sent.error().code == Errc::kNetwork) {
    co_return sent;
  }
  if (!sent) {  // local read failed: the server answers the abort frame
    (void)co_await request("");
    co_return sent;
  }
  const std::string digest = hash.hex_digest();
  const std::string trailer = protocol::digest_line(digest);
  SFS_CO_ASSIGN_OR_RETURN(auto done, co_await request(trailer));
  co_return stored_as_sent(done, digest, source);
}

void Connection::time_of(const protocol::Reply& stat, std::optional<std::int64_t>* mtime) {
  // A failed STAT changes nothing: the GET's reply says what is wrong.
  if (stat.ok) {
    auto entry = protocol::parse_stat_reply(stat);
    if (entry && entry->type == 'f') {
      *mtime = static_cast<std::int64_t>(entry->mtime);
    }
  }
}

awaitable<Result<protocol::Reply>> Connection::send_get(std::string line, std::string path,
                                                        bool ask_time,
                                                        std::optional<std::int64_t>* mtime) {
  if (!ask_time) {
    co_return co_await request(std::move(line));
  }
  const std::string both = protocol::serialize_request(protocol::Stat{path}) + line;
  SFS_CO_ASSIGN_OR_RETURN(auto stat, co_await request(both));
  time_of(stat, mtime);
  co_return co_await request("");
}

awaitable<Result<void>> Connection::do_get(std::string remote, std::filesystem::path local,
                                           bool progress, bool resume,
                                           std::optional<std::int64_t> mtime, bool ask_time) {
  SFS_CO_ASSIGN_OR_RETURN(auto part, LocalDownload::open(local, resume));
  const bool can_resume = part.held() > 0 && !part.recorded_digest().empty();
  const protocol::Get get{remote, can_resume ? part.held() : 0,
                          can_resume ? part.recorded_digest() : std::string()};
  std::string command = protocol::serialize_request(get);
  SFS_CO_ASSIGN_OR_RETURN(auto reply,
                          co_await send_get(std::move(command), remote, ask_time, &mtime));
  co_return co_await finish_get(part, std::move(reply), get.offset, std::move(remote),
                                std::move(local), progress, mtime);
}

awaitable<Result<void>> Connection::finish_get(LocalDownload& part, protocol::Reply reply,
                                               std::uint64_t offset, std::string remote,
                                               std::filesystem::path local, bool progress,
                                               std::optional<std::int64_t> mtime) {
  if (!reply.ok) {
    co_return reply.to_error();
  }
  SFS_CO_ASSIGN_OR_RETURN(const GetOffer offer, parse_get_offer(reply, offset));
  const std::uint64_t start = offer.start;
  crypto::Digest hash;
  // A failure here ends the session: the server is already sending.
  SFS_CO_RETURN_IF_ERROR(continue_part(part, offer, hash, remote));
  std::optional<ProgressBar> bar;
  if (progress && !observer_) {
    bar.emplace("get " + remote, offer.size);
  }
  std::uint64_t at = start;
  bool interrupted = false;
  const wire::Sink write = [&](const char* data, std::size_t n) -> awaitable<Result<void>> {
    hash.update(data, n);
    at += n;
    auto written = part.write(data, n);
    if (written && interrupt_requested()) {  // Ctrl-C in the shell: stop, keep the part
      interrupted = true;
      cut();
      co_return make_error(Errc::kNetwork, "interrupted");
    }
    co_return written;
  };
  auto received = co_await wire::receive_stream(
      *channel_, offer.size - start, write,
      [&](std::uint64_t n) { show_progress(bar, observer_, start + n); }, protocol::kMaxFrameBytes);
  if (!received) {
    if (received.error().code == Errc::kNetwork && !offer.stored.empty()) {
      part.keep();  // a later `get` continues from here (also after Ctrl-C)
    }
    if (interrupted) {
      channel_->close();
      co_return interrupted_at(at);
    }
    if (wire::stream_completed(received.error())) {  // local write failed: skip the trailer
      SFS_CO_RETURN_IF_ERROR(co_await channel_->read_line(protocol::kMaxLineBytes));
    }
    if (received.error().code == Errc::kAborted) {
      Error reason = co_await read_abort_reason();
      if (is_storage_unavailable(reason) && !offer.stored.empty()) {
        part.keep();  // the server's store went away: a later `get` continues from here
      }
      co_return reason;
    }
    co_return received;
  }
  SFS_CO_ASSIGN_OR_RETURN(auto trailer, co_await channel_->read_line(protocol::kMaxLineBytes));
  SFS_CO_ASSIGN_OR_RETURN(auto sent_digest, protocol::parse_digest_line(trailer));
  const std::string actual = hash.hex_digest();
  if (actual != sent_digest || (!offer.stored.empty() && actual != offer.stored)) {
    co_return make_error(Errc::kIntegrity, "downloaded data does not match its digest; " +
                                               local.string() + " left unchanged");
  }
  co_return part.commit(mtime);
}

awaitable<Result<void>> Connection::do_view(std::string remote, std::uint64_t max_bytes,
                                            std::function<void(const char*, std::size_t)> out) {
  const std::string command = protocol::serialize_request(protocol::View{remote, max_bytes});
  SFS_CO_ASSIGN_OR_RETURN(auto reply, co_await request(command));
  if (!reply.ok) {
    co_return reply.to_error();
  }
  SFS_CO_ASSIGN_OR_RETURN(auto size, size_field(reply));
  const wire::Sink sink = [&](const char* data, std::size_t n) -> awaitable<Result<void>> {
    out(data, n);
    co_return Result<void>{};
  };
  auto received = co_await wire::receive_stream(*channel_, size, sink);
  if (!received && received.error().code == Errc::kAborted) {
    co_return co_await read_abort_reason();
  }
  co_return received;
}

template <typename T>
awaitable<Result<std::vector<T>>> Connection::read_counted(std::string command,
                                                           Result<T> (*parse)(std::string_view)) {
  SFS_CO_ASSIGN_OR_RETURN(auto reply, co_await request(command));
  if (!reply.ok) {
    co_return reply.to_error();
  }
  SFS_CO_ASSIGN_OR_RETURN(auto count, size_field(reply));
  std::vector<T> items;
  for (std::uint64_t i = 0; i < count; ++i) {
    SFS_CO_ASSIGN_OR_RETURN(auto line, co_await channel_->read_line(protocol::kMaxLineBytes));
    SFS_CO_ASSIGN_OR_RETURN(auto item, parse(line));
    items.push_back(std::move(item));
  }
  co_return items;
}

awaitable<Result<std::vector<protocol::Entry>>> Connection::do_list(std::string remote) {
  const std::string command = protocol::serialize_request(protocol::List{remote});
  co_return co_await read_counted<protocol::Entry>(command, protocol::parse_entry);
}

awaitable<Result<std::vector<Connection::Listing>>> Connection::do_list_many(
    std::vector<std::string> remotes) {
  constexpr std::size_t kAheadBytes = std::size_t{32} * 1024;  // lines sent, not answered
  std::vector<Listing> out;
  std::size_t next = 0;
  while (next < remotes.size()) {
    std::string lines;
    std::size_t end = next;
    for (; end < remotes.size(); ++end) {
      std::string line = protocol::serialize_request(protocol::List{remotes[end]});
      if (!lines.empty() && lines.size() + line.size() > kAheadBytes) {
        break;
      }
      lines += line;
    }
    SFS_CO_RETURN_IF_ERROR(co_await channel_->write(lines));
    for (; next < end; ++next) {
      auto listed = co_await read_counted<protocol::Entry>("", protocol::parse_entry);
      if (!listed && is_connection_failure(listed.error())) {
        co_return listed.error();
      }
      out.push_back(std::move(listed));
    }
  }
  co_return out;
}

Result<std::vector<Connection::Listing>> Connection::list_many(
    const std::vector<std::string>& remotes) {
  return run(do_list_many(remotes));
}

awaitable<Result<std::vector<protocol::FileStatus>>> Connection::do_verify() {
  const std::string command = protocol::serialize_request(protocol::Verify{});
  co_return co_await read_counted<protocol::FileStatus>(command, protocol::parse_file_status);
}

Result<void> Connection::put(const std::filesystem::path& local, const std::string& remote,
                             bool show_progress, bool resume, bool keep_time) {
  return retrying<void>(
      [&] { return run(do_put(local, remote, show_progress, resume, keep_time)); });
}

Result<void> Connection::get(const std::string& remote, const std::filesystem::path& local,
                             bool show_progress, bool resume, std::optional<std::int64_t> mtime,
                             bool ask_time) {
  return retrying<void>(
      [&] { return run(do_get(remote, local, show_progress, resume, mtime, ask_time)); });
}

Result<void> Connection::view(const std::string& remote, std::uint64_t max_bytes,
                              const std::function<void(const char*, std::size_t)>& out) {
  return run(do_view(remote, max_bytes, out));
}

Result<void> Connection::remove(const std::string& remote) {
  SFS_ASSIGN_OR_RETURN(auto reply,
                       run(request(protocol::serialize_request(protocol::Delete{remote}))));
  if (!reply.ok) {
    return reply.to_error();
  }
  return {};
}

Result<std::vector<protocol::Entry>> Connection::list(const std::string& remote) {
  return run(do_list(remote));
}

Result<protocol::Reply> Connection::simple(const std::string& line, std::size_t fields) {
  SFS_ASSIGN_OR_RETURN(auto reply, run(request(line)));
  if (!reply.ok) {
    return reply.to_error();
  }
  if (reply.fields.size() != fields) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  return reply;
}

Result<void> Connection::make_dir(const std::string& remote, bool parents) {
  SFS_RETURN_IF_ERROR(simple(protocol::serialize_request(protocol::MakeDir{remote, parents}), 0));
  return {};
}

Result<void> Connection::remove_dir(const std::string& remote) {
  SFS_RETURN_IF_ERROR(simple(protocol::serialize_request(protocol::RemoveDir{remote}), 0));
  return {};
}

Result<std::string> Connection::move(const std::string& from, const std::string& to) {
  SFS_ASSIGN_OR_RETURN(auto reply,
                       simple(protocol::serialize_request(protocol::Move{from, to}), 1));
  auto path = protocol::percent_decode(reply.fields[0]);
  if (!path || !protocol::validate_remote_path(*path)) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  return std::move(*path);
}

Result<protocol::Entry> Connection::stat(const std::string& remote) {
  // A put or a get that compares contents starts with it: a connection
  // lost here (its server gone) reconnects as the transfer itself would.
  return retrying<protocol::Entry>([&]() -> Result<protocol::Entry> {
    SFS_ASSIGN_OR_RETURN(auto reply,
                         simple(protocol::serialize_request(protocol::Stat{remote}), 5));
    auto entry = protocol::parse_stat_reply(reply);
    if (!entry || entry->name != remote) {
      return make_error(Errc::kProtocol, "malformed reply from server");
    }
    return entry;
  });
}

Result<std::vector<protocol::FileStatus>> Connection::verify() { return run(do_verify()); }

Result<std::string> Connection::hash(const std::string& remote) {
  SFS_ASSIGN_OR_RETURN(auto reply,
                       run(request(protocol::serialize_request(protocol::Hash{remote}))));
  if (!reply.ok) {
    return reply.to_error();
  }
  if (reply.fields.size() != 1 || !crypto::is_digest_hex(reply.fields[0])) {
    return make_error(Errc::kProtocol, "malformed reply from server");
  }
  return reply.fields[0];
}

Result<Connection::SpaceUsage> Connection::usage() {
  SFS_ASSIGN_OR_RETURN(auto reply, simple(protocol::serialize_request(protocol::UsageQuery{}), 5));
  std::uint64_t numbers[5] = {};
  for (std::size_t i = 0; i < 5; ++i) {
    auto number = protocol::parse_u64(reply.fields[i]);
    if (!number) {
      return make_error(Errc::kProtocol, "malformed usage from server");
    }
    numbers[i] = *number;
  }
  return SpaceUsage{numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]};
}

void Connection::quit() { (void)run(request(protocol::serialize_request(protocol::Quit{}))); }

}  // namespace sfs::client
