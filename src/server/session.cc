#include "server/session.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "net/channel.h"
#include "net/transfer.h"
#include "protocol/limits.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"

namespace sfs::server {
namespace {

using protocol::Request;

// Releases the connection slot when the session ends, however it ends.
struct ConnectionSlot {
  explicit ConnectionSlot(std::atomic<unsigned>& n) : count(n) {}
  ~ConnectionSlot() { count.fetch_sub(1); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  std::atomic<unsigned>& count;
};

class Session {
 public:
  Session(std::shared_ptr<Shared> shared, std::shared_ptr<net::Channel> channel, std::string peer)
      : shared_(std::move(shared)), channel_(std::move(channel)), peer_(std::move(peer)) {}

  awaitable<void> run();

 private:
  using Handler = awaitable<Result<void>> (Session::*)(const Request&);
  struct Command {
    std::string_view verb;
    Handler handler;
  };
  static const Command kCommands[];

  const Config& config() const { return shared_->config; }
  awaitable<bool> log_in();
  awaitable<void> serve_commands();
  awaitable<Result<void>> dispatch(const Request& request);

  awaitable<Result<void>> put(const Request& request);
  awaitable<Result<void>> get(const Request& request);
  awaitable<Result<void>> view(const Request& request);
  awaitable<Result<void>> remove(const Request& request);
  awaitable<Result<void>> list(const Request& request);
  awaitable<Result<void>> quit(const Request& request);
  awaitable<Result<void>> login_again(const Request& request);

  awaitable<Result<void>> send_file(const std::string& path, std::uint64_t offset,
                                    std::uint64_t max_bytes);
  void log_operation(std::string_view verb, const std::string& path, const Result<void>& result);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<net::Channel> channel_;
  std::string peer_;
  std::string user_;
  std::optional<storage::UserTree> tree_;
  std::uint64_t bytes_ = 0;  // moved by the current operation, for the log
  bool quit_ = false;
};

const Session::Command Session::kCommands[] = {
    {"PUT", &Session::put},       {"GET", &Session::get},
    {"VIEW", &Session::view},     {"DELETE", &Session::remove},
    {"LIST", &Session::list},     {"QUIT", &Session::quit},
    {"LOGIN", &Session::login_again},
};

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

awaitable<void> Session::run() {
  if (auto ok = co_await channel_->handshake(asio::ssl::stream_base::server,
                                             config().handshake_timeout);
      !ok) {
    spdlog::info("peer={} closed: {}", peer_, ok.error().message);
    co_return;
  }
  if (!co_await channel_->write(protocol::greeting_line())) {
    co_return;
  }
  if (!co_await log_in()) {
    co_return;
  }
  co_await serve_commands();
  spdlog::info("user={} peer={} disconnected", user_, peer_);
}

awaitable<bool> Session::log_in() {
  const auto deadline = net::Clock::now() + config().login_timeout;
  for (unsigned attempt = 0; attempt < config().max_login_attempts;) {
    const auto left = deadline - net::Clock::now();
    auto line = co_await channel_->read_line(protocol::kMaxLineBytes, left);
    if (!line) {
      if (line.error().code == Errc::kProtocol) {
        co_await channel_->write(protocol::error_line(Errc::kProtocol, line.error().message));
      }
      spdlog::info("peer={} closed before login: {}", peer_, line.error().message);
      co_return false;
    }
    auto request = protocol::parse_request(*line);
    const auto* login = request ? std::get_if<protocol::Login>(&*request) : nullptr;
    if (login == nullptr) {
      const Error e = request ? make_error(Errc::kAuth, "login required") : request.error();
      co_await channel_->write(protocol::error_line(e.code, e.message));
      continue;
    }
    ++attempt;
    if (shared_->users.verify(login->user, login->password)) {
      auto tree = shared_->store.user(login->user);
      if (!tree) {
        spdlog::error("user={} peer={} storage: {}", login->user, peer_, tree.error().message);
        co_await channel_->write(protocol::error_line(Errc::kIo, "storage unavailable"));
        co_return false;
      }
      user_ = login->user;
      tree_.emplace(std::move(*tree));
      spdlog::info("user={} peer={} login ok", user_, peer_);
      co_return static_cast<bool>(co_await channel_->write(protocol::ok_line()));
    }
    // The user name is logged percent-encoded: it is untrusted input.
    spdlog::warn("user={} peer={} login failed", protocol::percent_encode(login->user), peer_);
    if (!co_await channel_->write(protocol::error_line(Errc::kAuth, "login failed"))) {
      co_return false;
    }
  }
  spdlog::warn("peer={} too many failed logins, closing", peer_);
  co_return false;
}

awaitable<void> Session::serve_commands() {
  while (!quit_) {
    auto line = co_await channel_->read_line(protocol::kMaxLineBytes, config().idle_timeout);
    if (!line) {
      if (line.error().code == Errc::kProtocol) {
        co_await channel_->write(protocol::error_line(Errc::kProtocol, line.error().message));
      }
      co_return;
    }
    auto request = protocol::parse_request(*line);
    if (!request) {
      spdlog::info("user={} peer={} bad request: {}", user_, peer_, request.error().message);
      if (!co_await channel_->write(protocol::error_line(request.error().code,
                                                         request.error().message))) {
        co_return;
      }
      continue;
    }
    bytes_ = 0;
    Result<void> result = co_await dispatch(*request);
    log_operation(protocol::verb_of(*request), path_of(*request), result);
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

awaitable<Result<void>> Session::dispatch(const Request& request) {
  const std::string_view verb = protocol::verb_of(request);
  for (const Command& command : kCommands) {
    if (command.verb == verb) {
      co_return co_await (this->*command.handler)(request);
    }
  }
  co_return make_error(Errc::kBadRequest, "unknown command");
}

void Session::log_operation(std::string_view verb, const std::string& path,
                            const Result<void>& result) {
  const std::string shown = protocol::percent_encode(path);
  if (result) {
    spdlog::info("user={} peer={} op={} path={} bytes={} result=ok", user_, peer_, verb, shown,
                 bytes_);
  } else {
    spdlog::info("user={} peer={} op={} path={} bytes={} result={} ({})", user_, peer_, verb,
                 shown, bytes_, protocol::wire_code(result.error().code), result.error().message);
  }
}

awaitable<Result<void>> Session::put(const Request& request) {
  const auto& put = std::get<protocol::Put>(request);
  if (put.size > config().max_file_bytes) {
    co_return make_error(Errc::kTooLarge, "file larger than the server's limit");
  }
  auto upload = tree_->create(put.path);
  if (!upload) {
    co_return upload.error();
  }
  if (auto ok = co_await channel_->write(protocol::ok_line()); !ok) {
    co_return ok;
  }
  auto sink = [&](const char* data, std::size_t n) { return upload->write(data, n); };
  auto received = co_await net::receive_stream(*channel_, put.size, sink,
                                               [this](std::uint64_t n) { bytes_ = n; });
  if (!received) {
    upload->abort();
    co_return received;
  }
  if (auto ok = upload->commit(); !ok) {
    co_return ok;
  }
  const std::string done = protocol::ok_line({std::to_string(put.size)});
  co_return co_await channel_->write(done);
}

awaitable<Result<void>> Session::send_file(const std::string& path, std::uint64_t offset,
                                           std::uint64_t max_bytes) {
  auto file = tree_->open_read(path);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t size = file->size();
  if (offset > size) {
    co_return make_error(Errc::kBadRequest, "offset beyond end of file");
  }
  const std::uint64_t length = std::min(size - offset, max_bytes);
  const std::string announced =
      protocol::ok_line({std::to_string(max_bytes == UINT64_MAX ? size : length)});
  if (auto ok = co_await channel_->write(announced); !ok) {
    co_return ok;
  }
  std::uint64_t position = offset;
  auto source = [&](char* data, std::size_t max) -> Result<std::size_t> {
    auto n = file->read_at(data, max, position);
    if (n) {
      position += *n;
    }
    return n;
  };
  auto sent = co_await net::send_stream(*channel_, length, source, protocol::kDefaultFrameBytes,
                                        [this](std::uint64_t n) { bytes_ = n; });
  // A read error after OK was already reported with the abort frame; the
  // session goes on. Network errors end it.
  if (!sent && sent.error().code != Errc::kNetwork) {
    spdlog::warn("user={} peer={} read failed: {}", user_, peer_, sent.error().message);
    co_return Result<void>{};
  }
  co_return sent;
}

awaitable<Result<void>> Session::get(const Request& request) {
  const auto& get = std::get<protocol::Get>(request);
  co_return co_await send_file(get.path, get.offset, UINT64_MAX);
}

awaitable<Result<void>> Session::view(const Request& request) {
  const auto& view = std::get<protocol::View>(request);
  co_return co_await send_file(view.path, 0, view.max_bytes);
}

awaitable<Result<void>> Session::remove(const Request& request) {
  const auto& del = std::get<protocol::Delete>(request);
  if (auto ok = tree_->remove(del.path); !ok) {
    co_return ok;
  }
  co_return co_await channel_->write(protocol::ok_line());
}

awaitable<Result<void>> Session::list(const Request&) {
  auto entries = tree_->list();
  if (!entries) {
    co_return entries.error();
  }
  std::string reply = protocol::ok_line({std::to_string(entries->size())});
  for (const storage::DirEntry& e : *entries) {
    const protocol::Entry entry{e.is_dir ? 'd' : 'f', e.size,
                                static_cast<std::uint64_t>(std::max<std::int64_t>(e.mtime, 0)),
                                e.name};
    reply += protocol::serialize_entry(entry);
    if (reply.size() >= (64U << 10)) {  // bounded memory for huge listings
      if (auto ok = co_await channel_->write(reply); !ok) {
        co_return ok;
      }
      reply.clear();
    }
  }
  co_return co_await channel_->write(reply);
}

awaitable<Result<void>> Session::quit(const Request&) {
  quit_ = true;
  co_return co_await channel_->write(protocol::ok_line());
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

awaitable<void> run_session(std::shared_ptr<Shared> shared, tcp::socket socket) {
  ConnectionSlot slot(shared->connections);
  const std::string peer = describe(socket);
  auto channel = std::make_shared<net::Channel>(TlsStream(std::move(socket), *shared->tls),
                                                shared->config.io_timeout);
  channel->start_watchdog();
  Session session(shared, channel, peer);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    spdlog::error("peer={} session error: {}", peer, e.what());
  }
  channel->close();
}

}  // namespace sfs::server
