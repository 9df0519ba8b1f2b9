#include "server/server.h"

#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "net/channel.h"
#include "server/blocking.h"
#include "server/session.h"

namespace sfs::server {

Server::Server(Config config, tls::ContextPtr tls, auth::UserDb users, storage::Store store)
    : io_(static_cast<int>(config.threads == 0 ? std::max(1U, std::thread::hardware_concurrency())
                                               : config.threads)),
      signals_(io_, SIGINT, SIGTERM),
      acceptor_(io_),
      shared_(std::make_shared<Shared>(std::move(config), std::move(tls), std::move(users),
                                       std::move(store))) {}

Result<void> Server::listen() {
  const Config& cfg = shared_->config;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(cfg.host, ec);
  if (ec) {
    return make_error(Errc::kNetwork, "invalid listen address '" + cfg.host + "'");
  }
  const tcp::endpoint endpoint(address, cfg.port);
  const std::string where = cfg.host + ":" + std::to_string(cfg.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(Errc::kNetwork, "cannot listen on " + where + ": " + ec.message());
  }
  return {};
}

tcp::endpoint Server::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

awaitable<void> Server::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open()) {
        break;
      }
      spdlog::warn("accept failed: {}", ec.message());
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const std::string source = socket.remote_endpoint(ec).address().to_string();
    std::string why;
    auto ticket = shared_->admission.admit(source, &why);
    if (!ticket) {
      spdlog::warn("peer={} refused: {}", source, why);
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_session(shared_, std::move(socket), std::move(*ticket)),
                   [](const std::exception_ptr& e) {
                     if (e) {
                       spdlog::error("session ended with an unexpected exception");
                     }
                   });
  }
}

awaitable<void> Server::clean_periodically() {
  const auto every =
      std::min<std::chrono::seconds>(shared_->config.partial_ttl, std::chrono::hours(1));
  asio::steady_timer timer(io_);
  while (acceptor_.is_open()) {
    timer.expires_after(std::max<std::chrono::seconds>(every, std::chrono::seconds(1)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      break;
    }
    const auto partial_ttl = shared_->config.partial_ttl;
    const std::size_t removed = co_await run_blocking(
        shared_->disk, [&] { return shared_->store.remove_stale_temps(partial_ttl); });
    if (removed > 0) {
      spdlog::info("removed {} stale temporary or partial upload file(s)", removed);
      shared_->quota_ledger.mark_all_stale();  // they counted; measure again
    }
  }
}

void Server::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      spdlog::info("signal {} received: finishing transfers in flight, then stopping", signal);
      drain();
      // A second signal stops at once.
      signals_.async_wait([this](const boost::system::error_code& again, int) {
        if (!again) {
          stop();
        }
      });
    }
  });
  asio::co_spawn(io_, accept_loop(), asio::detached);
  asio::co_spawn(io_, clean_periodically(), asio::detached);
  const unsigned n = shared_->config.threads == 0
                         ? std::max(1U, std::thread::hardware_concurrency())
                         : shared_->config.threads;
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) {
    pool.emplace_back([this] { io_.run(); });
  }
  io_.run();
  for (std::thread& t : pool) {
    t.join();
  }
  // Work still running on the pools refers to session coroutines: let it
  // finish before those are destroyed with the io_context.
  shared_->disk.join();
  shared_->slow_jobs.stop();
  shared_->transfer_io.join();
  shared_->password_checks.join();
}

void Server::drain() {
  shared_->draining = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  {
    const std::lock_guard lock(shared_->channels_mutex);
    for (const auto& weak : shared_->channels) {
      if (auto channel = weak.lock()) {
        asio::post(channel->stream().get_executor(), [channel] { channel->close_if_idle(); });
      }
    }
  }
  asio::co_spawn(io_, wait_for_drain(), asio::detached);
}

awaitable<void> Server::wait_for_drain() {
  const auto deadline = std::chrono::steady_clock::now() + shared_->config.drain_timeout;
  asio::steady_timer timer(io_);
  while (shared_->admission.connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(50));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (const unsigned left = shared_->admission.connections(); left > 0) {
    spdlog::warn("drain timeout: closing {} connection(s) with transfers in flight", left);
  }
  stop();
}

void Server::stop() {
  asio::post(io_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    io_.stop();
  });
}

}  // namespace sfs::server
