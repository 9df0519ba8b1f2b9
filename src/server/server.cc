#include "server/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "asio/offload.h"
#include "base/check.h"
#include "net/listener.h"
#include "server/door_connection.h"
#include "server/https.h"
#include "server/sfsp/sfsp.h"

namespace sfs::server {
namespace {

// Refusals and evictions logged at most this many at once, then one per
// second: an attacker decides how often they happen.
constexpr unsigned kAdmissionLogBurst = 20;

// The io_contexts of the threads after the first (--threads; 0: one per
// core), each run by its thread alone.
std::vector<std::unique_ptr<asio::io_context>> more_io_contexts(unsigned threads) {
  const unsigned n = threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : threads;
  std::vector<std::unique_ptr<asio::io_context>> more;
  for (unsigned i = 1; i < n; ++i) {
    more.push_back(std::make_unique<asio::io_context>(1));
  }
  return more;
}

// Where the listeners spread the connections: every thread's io_context.
std::vector<asio::any_io_executor> executors_of(
    asio::io_context& first, const std::vector<std::unique_ptr<asio::io_context>>& more) {
  std::vector<asio::any_io_executor> executors{first.get_executor()};
  for (const auto& io : more) {
    executors.push_back(io->get_executor());
  }
  return executors;
}

}  // namespace

awaitable<Result<files::UserFiles>> open_user_files(Shared& shared, std::string user) {
  SFS_CO_ASSIGN_OR_RETURN(auto space, co_await shared.backend.open_space(user));
  const Config& c = shared.config;
  files::Services services{shared.quota, shared.backend, shared.transfer_io, shared.slow_jobs};
  files::Limits limits{c.max_file_bytes, c.max_path_bytes, c.io_timeout};
  co_return files::UserFiles(std::move(user), std::move(space), services, limits);
}

std::unique_ptr<storage::Backend> Shared::make_backend(StorageChoice choice) {
  if (auto* store = std::get_if<storage::Store>(&choice)) {
    return std::make_unique<storage::PosixBackend>(
        std::move(*store),
        storage::PosixPools{.metadata = disk, .data = transfer_io, .slow = slow_io});
  }
  auto made = storage::s3::S3Backend::create(std::get<storage::s3::S3BackendSettings>(choice),
                                             storage_io, partial_claims);
  SFS_CHECK(made.ok());  // checked at start (server/s3_storage.h)
  return std::move(*made);
}

Server::Server(Config config, tls::ContextPtr tls, StartUsers users, StorageChoice store)
    : io_(1),
      more_io_(more_io_contexts(config.threads)),
      signals_(io_, SIGINT, SIGTERM),
      reload_signals_(io_, SIGHUP),
      listener_(io_.get_executor(), executors_of(io_, more_io_)),
      https_listener_(io_.get_executor(), executors_of(io_, more_io_)),
      shared_(std::make_shared<Shared>(std::move(config), std::move(tls),
                                       StartUsers{.store = std::move(users.store),
                                                  .users = std::move(users.users),
                                                  .verdicts = std::move(users.verdicts),
                                                  .quota = std::move(users.quota),
                                                  .claims = std::move(users.claims),
                                                  .locks = std::move(users.locks),
                                                  .uploads = std::move(users.uploads),
                                                  .web_sessions = std::move(users.web_sessions)},
                                       std::move(store))),
      // (users.token is still there: only the store and the UserDb moved)
      auth_reload_(shared_->users, *shared_->user_store, std::move(users.token), shared_->sessions,
                   &shared_->web_sessions),
      refusal_log_(kAdmissionLogBurst, std::chrono::seconds(1)),
      eviction_log_(kAdmissionLogBurst, std::chrono::seconds(1)) {
  auto balancers = TrustedBalancers::parse(shared_->config.proxy_protocol_from);
  SFS_CHECK(balancers.ok());  // checked with the settings
  balancers_ = std::move(*balancers);
}

Result<void> Server::listen() {
  const Config& c = shared_->config;
  SFS_RETURN_IF_ERROR(listener_.open(c.host, c.port));
  if (c.https_port != 0) {
    return https_listener_.open(c.host, c.https_port);
  }
  return {};
}

tcp::endpoint Server::local_endpoint() const { return listener_.local_endpoint(); }

std::optional<tcp::endpoint> Server::https_endpoint() const {
  if (!https_listener_.is_open()) {
    return std::nullopt;
  }
  return https_listener_.local_endpoint();
}

awaitable<void> Server::accept_loop(net::Listener& listener, ConnectionHandler handler) {
  co_await listener.run(
      [this, handler = std::move(handler)](tcp::socket socket) {
        hand_on(std::move(socket), handler);
      },
      [](const boost::system::error_code& ec) { spdlog::warn("accept failed: {}", ec.message()); });
}

void Server::hand_on(tcp::socket socket, const ConnectionHandler& handler) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);  // gone already: nothing to serve, no source to count
    return;
  }
  if (!balancers_.contains(peer.address())) {
    start(std::move(socket), handler, name_peer(peer));  // a PROXY header would be bad TLS
    return;
  }
  // The header comes at once from a balancer; the cap bounds what a
  // misbehaving one can hold before admission counts its connections.
  if (reading_headers_.fetch_add(1) >= shared_->config.max_unauthenticated) {
    reading_headers_.fetch_sub(1);
    log_within(refusal_log_, "refused connections",
               fmt::format("peer={} refused: too many balancer connections without a PROXY "
                           "protocol header yet",
                           name_peer(peer).peer));
    socket.close(ec);
    return;
  }
  auto executor = socket.get_executor();
  asio::co_spawn(executor, through_balancer(std::move(socket), handler, peer), asio::detached);
}

awaitable<void> Server::through_balancer(tcp::socket socket, ConnectionHandler handler,
                                         tcp::endpoint balancer) {
  auto client = co_await read_proxy_header(socket, balancer, shared_->config.handshake_timeout);
  reading_headers_.fetch_sub(1);
  if (!client) {
    log_within(refusal_log_, "refused connections",
               fmt::format("peer={} refused: trusted balancer, but {}", name_peer(balancer).peer,
                           client.error().message));
    boost::system::error_code ec;
    socket.close(ec);
    co_return;
  }
  start(std::move(socket), handler, name_peer(*client));
}

void Server::start(tcp::socket socket, const ConnectionHandler& handler, PeerName name) {
  auto ticket = admit(socket, name.source);
  if (!ticket) {
    return;
  }
  auto executor = socket.get_executor();
  asio::co_spawn(executor, handler(shared_, std::move(socket), std::move(*ticket), std::move(name)),
                 [](const std::exception_ptr& e) {
                   if (e) {
                     spdlog::error("session ended with an unexpected exception");
                   }
                 });
}

std::optional<Admission::Ticket> Server::admit(tcp::socket& socket, const std::string& source) {
  Admission::Verdict verdict = shared_->admission.admit(source);
  if (!verdict.evicted.empty()) {
    log_within(eviction_log_, "evictions",
               fmt::format("peer={} evicted: the oldest of its {} connections not logged in yet, "
                           "to admit {} (pool of {} full)",
                           verdict.evicted, verdict.evicted_held, source,
                           shared_->config.max_unauthenticated));
  }
  if (!verdict.ticket) {
    log_within(refusal_log_, "refused connections",
               fmt::format("peer={} refused: {}", source, verdict.refusal));
    boost::system::error_code ec;
    socket.close(ec);
  }
  return std::move(verdict.ticket);
}

void Server::log_within(LogBudget& budget, std::string_view what, const std::string& line) {
  const std::lock_guard lock(log_mutex_);
  const auto left_out = budget.take(LogBudget::Clock::now());
  if (!left_out) {
    return;
  }
  if (*left_out > 0) {
    spdlog::warn("{} more {} not logged (at most {} lines at once, then one per second)", *left_out,
                 what, kAdmissionLogBurst);
  }
  spdlog::warn("{}", line);
}

awaitable<void> Server::clean_periodically() {
  const auto every =
      std::min<std::chrono::seconds>(shared_->config.partial_ttl, std::chrono::hours(1));
  asio::steady_timer timer(io_);
  // A local store was swept as it was opened, before the banner; a bucket
  // is swept now, so that a restart removes what expired there too (a
  // bucket walk would hold up the start).
  bool sweep_now = is_s3_storage(shared_->config.storage_dir);
  while (listener_.is_open()) {
    if (!sweep_now) {
      timer.expires_after(std::max<std::chrono::seconds>(every, std::chrono::seconds(1)));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
    }
    sweep_now = false;
    const auto partial_ttl = shared_->config.partial_ttl;
    files::UploadTable& uploads = shared_->uploads;  // tus uploads as old as their partials
    if (auto swept = co_await call_on(uploads.blocking_pool(), [&] { return uploads.sweep(); });
        !swept) {
      spdlog::warn("tus uploads not swept: {}", swept.error().message);
    }
    const std::size_t removed = co_await shared_->backend.remove_stale(partial_ttl);
    if (removed > 0) {
      spdlog::info("removed {} stale temporary or partial upload file(s)", removed);
      shared_->quota.mark_all_stale();  // they counted; measure again
    }
  }
}

void Server::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      spdlog::info("signal {} received: finishing transfers in flight, then stopping", signal);
      leave();
      // A second signal stops at once.
      signals_.async_wait([this](const boost::system::error_code& again, int) {
        if (!again) {
          stop();
        }
      });
    }
  });
  wait_for_reload_signal();
  auth_reload_.start();
  asio::co_spawn(io_, accept_loop(listener_, run_session), asio::detached);
  if (https_listener_.is_open()) {
    asio::co_spawn(io_, accept_loop(https_listener_, run_https), asio::detached);
  }
  asio::co_spawn(io_, clean_periodically(), asio::detached);
  std::vector<std::thread> pool;
  for (const auto& io : more_io_) {
    // (held until stop(): a thread without connections waits for some)
    pool.emplace_back([&io, work = asio::make_work_guard(*io)] { io->run(); });
  }
  io_.run();
  for (const auto& io : more_io_) {
    io->stop();
  }
  for (std::thread& t : pool) {
    t.join();
  }
  auth_reload_.stop();
  // Work still running on the pools refers to session coroutines: let it
  // finish before those are destroyed with the io_context.
  shared_->disk.join();
  shared_->slow_jobs.stop();
  shared_->slow_io.join();
  shared_->transfer_io.join();
  shared_->storage_io.join();  // the S3 backend's requests, which resume sessions too
  shared_->authenticator.join();
}

void Server::wait_for_reload_signal() {
  reload_signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    auth_reload_.reload_now();  // it logs what the reload did
    wait_for_reload_signal();
  });
}

void Server::leave() {
  shared_->leaving = true;
  const auto grace = shared_->config.drain_grace;
  if (grace.count() == 0) {
    drain();
    return;
  }
  spdlog::info("health check answers 503; serving {} s more before the drain", grace.count());
  auto timer = std::make_shared<asio::steady_timer>(io_, grace);
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (!ec && !shared_->draining) {
      drain();
    }
  });
}

void Server::drain() {
  shared_->leaving = true;
  shared_->draining = true;
  listener_.close();
  https_listener_.close();
  shared_->sessions.stop_all(LiveSessions::Why::kDrain);
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
    listener_.close();
    https_listener_.close();
    io_.stop();
  });
}

}  // namespace sfs::server
