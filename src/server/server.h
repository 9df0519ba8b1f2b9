#pragma once
// The server: accepts TLS connections and runs one session coroutine per
// connection on a pool of threads.
//
//   Server server(config, std::move(tls), std::move(users), std::move(store));
//   if (auto ok = server.listen(); !ok) die(ok.error().message);
//   print(server.local_endpoint());
//   server.run();   // until SIGINT/SIGTERM or stop()

#include <atomic>
#include <list>
#include <memory>
#include <mutex>

#include "asio/asio.h"
#include "auth/login_gate.h"
#include "auth/user_db.h"
#include "base/result.h"
#include "server/admission.h"
#include "server/check_queue.h"
#include "server/config.h"
#include "server/quota_ledger.h"
#include "storage/store.h"
#include "tls/context.h"

namespace sfs::net {
class Channel;
}

namespace sfs::server {

// What every session shares, read-only after start (the counters are atomic).
struct Shared {
  Shared(Config c, tls::ContextPtr t, auth::UserDb u, storage::Store s)
      : config(std::move(c)),
        tls(std::move(t)),
        users(std::move(u)),
        store(std::move(s)),
        password_checks(std::max(1U, config.max_concurrent_hashing)) {}

  Config config;
  tls::ContextPtr tls;
  auth::UserDb users;
  storage::Store store;
  Admission admission{
      {config.max_connections, config.max_connections_per_source, config.max_unauthenticated}};
  auth::LoginGate login_gate;  // failed-login penalties, trusted sources
  QuotaLedger quota_ledger;    // uploads in flight, per user, for the quotas
  std::mutex auth_file_mutex;  // one rewrite of the auth file at a time
  asio::thread_pool disk{2};   // whole-file hashing, off the network threads
  // The file reads and writes of transfers, overlapping with the network
  // (net::send_stream, net::receive_stream). Apart from `disk`, so that a
  // long VERIFY never holds up a transfer.
  asio::thread_pool transfer_io{4};
  // Password checks, off the network threads; its size caps the memory
  // that Argon2id verifications can take at once.
  asio::thread_pool password_checks;
  // Turns at that pool, by the login gate's standing: trusted and clean
  // sources before failing ones.
  CheckQueue check_queue{std::max(1U, config.max_concurrent_hashing)};

  // Live connections, so a draining server can close the idle ones.
  std::mutex channels_mutex;
  std::list<std::weak_ptr<net::Channel>> channels;
  std::atomic<bool> draining{false};
};

class Server {
 public:
  Server(Config config, tls::ContextPtr tls, auth::UserDb users, storage::Store store);

  // Binds and listens. kNetwork with "cannot listen on H:P: reason".
  Result<void> listen();
  tcp::endpoint local_endpoint() const;
  // Serves until stop() or SIGINT/SIGTERM.
  void run();
  void stop();
  // Stops accepting, closes idle connections, lets transfers in flight
  // finish within the drain timeout, then stops.
  void drain();

 private:
  awaitable<void> accept_loop();
  // Removes stale temp and partial files now and then.
  awaitable<void> clean_periodically();
  awaitable<void> wait_for_drain();

  asio::io_context io_;
  asio::signal_set signals_;  // set up before the banner, so no signal is missed
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace sfs::server
