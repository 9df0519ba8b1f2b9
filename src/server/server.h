#pragma once
// The server: accepts TLS connections and runs one session coroutine per
// connection on a pool of threads.
//
//   Server server(config, std::move(tls), std::move(start_users), std::move(store));
//   if (auto ok = server.listen(); !ok) die(ok.error().message);
//   print(server.local_endpoint());
//   server.run();   // until SIGINT/SIGTERM or stop(); SIGHUP reloads the auth file

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "asio/asio.h"
#include "auth/authenticator.h"
#include "auth/user_db.h"
#include "auth/user_store.h"
#include "auth/web_sessions.h"
#include "base/result.h"
#include "files/fair_queue.h"
#include "files/lock_table.h"
#include "files/quota_ledger.h"
#include "files/upload_table.h"
#include "files/user_files.h"
#include "net/listener.h"
#include "net/memory_budget.h"
#include "server/admission.h"
#include "server/auth_reload.h"
#include "server/config.h"
#include "server/live_sessions.h"
#include "server/log_budget.h"
#include "server/proxy_protocol.h"
#include "server/s3_storage.h"
#include "storage/partial_claims.h"
#include "storage/posix/posix_backend.h"
#include "storage/s3/s3_backend.h"
#include "storage/store.h"
#include "tls/certificate.h"
#include "tls/context.h"

namespace sfs::server {

// A user's usage known to the quota ledger is measured again after this
// long, in the background, to take in changes made outside the server.
inline constexpr std::chrono::minutes kUsageRescan{10};
// Threads for HASH and VERIFY, and how many of those one user may have
// queued or running at once (more get ERR TOOLARGE busy).
inline constexpr unsigned kSlowJobThreads = 2;
inline constexpr unsigned kMaxSlowJobsPerUser = 8;
// Threads for the S3 backend's requests (--storage s3://).
inline constexpr unsigned kS3Threads = 16;

// Where the users' files are: a local store (the POSIX backend) or an S3
// bucket (server/s3_storage.h).
using StorageChoice = std::variant<storage::Store, storage::s3::S3BackendSettings>;

// The users as loaded at start: where they are kept (the auth file or the
// database), the UserDb made of them, and the store's change token at that
// load (a change made after it is reloaded).
struct StartUsers {
  std::unique_ptr<auth::UserStore> store;
  auth::UserDb users;
  std::string token;
  // A cluster's shared login verdicts (none for one node).
  std::unique_ptr<auth::VerdictShare> verdicts;
  // A cluster's quota ledger, in the same database (none for one node: in
  // memory).
  std::unique_ptr<files::Quota> quota;
  // A cluster's claims on the S3 backend's partials, in the same database
  // (none for one node: the backend keeps them in memory).
  std::shared_ptr<storage::PartialClaims> claims;
  // A cluster's WebDAV locks, tus uploads and browser sessions, in the
  // same database (none for one node: in memory). The sessions' table
  // asks the node's UserDb, made later: it comes as a maker.
  std::unique_ptr<files::LockTable> locks;
  std::unique_ptr<files::UploadTable> uploads;
  std::function<std::unique_ptr<auth::WebSessionTable>(const auth::UserDb&)> web_sessions;
};

// What every session shares, read-only after start (the counters are atomic;
// `users` changes when the user store is reloaded, and is thread-safe).
struct Shared {
  Shared(Config c, tls::ContextPtr t, StartUsers u, StorageChoice s)
      : config(std::move(c)),
        tls(std::move(t)),
        user_store(std::move(u.store)),
        users(std::move(u.users)),
        verdict_share(std::move(u.verdicts)),
        owned_quota(u.quota ? std::move(u.quota) : memory_quota(config)),
        quota(*owned_quota),
        owned_locks(u.locks ? std::move(u.locks) : std::make_unique<files::MemoryLockTable>()),
        locks(*owned_locks),
        owned_uploads(u.uploads ? std::move(u.uploads) : memory_uploads(config)),
        uploads(*owned_uploads),
        partial_claims(std::move(u.claims)),
        owned_backend(make_backend(std::move(s))),
        backend(*owned_backend),
        owned_web_sessions(u.web_sessions ? u.web_sessions(users) : memory_web_sessions(config)),
        web_sessions(*owned_web_sessions) {}
  // The POSIX backend over the store on the pools below, or the S3 backend
  // on storage_io (settings checked before: aborts on bad ones).
  std::unique_ptr<storage::Backend> make_backend(StorageChoice choice);
  static std::unique_ptr<files::Quota> memory_quota(const Config& config) {
    return std::make_unique<files::QuotaLedger>(
        files::QuotaLedger::Limits{config.quota_bytes, config.quota_files}, kUsageRescan);
  }

  // tus uploads are forgotten after the partial TTL as their data is (at
  // least a second between requests, even with a TTL of 0).
  static std::unique_ptr<files::UploadTable> memory_uploads(const Config& config) {
    return std::make_unique<files::MemoryUploadTable>(
        std::max(config.partial_ttl, std::chrono::seconds(1)), config.max_tus_uploads);
  }
  static std::unique_ptr<auth::WebSessionTable> memory_web_sessions(const Config& config) {
    return std::make_unique<auth::MemoryWebSessionTable>(auth::WebSessionLimits{
        .idle = config.web_session_idle, .lifetime = config.web_session_lifetime});
  }

  Config config;
  tls::ContextPtr tls;
  std::unique_ptr<auth::UserStore> user_store;
  auth::UserDb users;
  // Before the authenticator, which stops it when it goes.
  std::unique_ptr<auth::VerdictShare> verdict_share;
  Admission admission{{config.max_connections, config.max_connections_per_source,
                       config.max_unauthenticated, config.unauthenticated_share_per_source}};
  // Logins: penalties, the Argon2id pool and its turns, rehashes saved.
  auth::Authenticator authenticator{users,
                                    {.store = user_store.get(),
                                     .verdicts = verdict_share.get(),
                                     .max_concurrent_checks = config.max_concurrent_hashing}};
  // Per user: what the tree takes and what operations in flight reserved
  // (in memory, or the cluster's in its database).
  std::unique_ptr<files::Quota> owned_quota;
  files::Quota& quota;
  // WebDAV locks, per user: taken through the HTTPS door, respected by
  // both doors (in a cluster, a table in PostgreSQL).
  std::unique_ptr<files::LockTable> owned_locks;
  files::LockTable& locks;
  // tus uploads in progress, per user (memory_uploads(); in a cluster, a
  // table in PostgreSQL).
  std::unique_ptr<files::UploadTable> owned_uploads;
  files::UploadTable& uploads;
  // The storage's metadata work off the network threads (the POSIX
  // backend's opens, listings, stats, folders, moves, commits, usage scans,
  // the cleaner).
  asio::thread_pool disk{2};
  // HASH and VERIFY, which read whole files or trees: users take turns, so
  // one user's queue never delays another's, nor any transfer or login. The
  // queue gives the turns; the reading runs on slow_io.
  files::FairQueue slow_jobs{kSlowJobThreads, kMaxSlowJobsPerUser};
  asio::thread_pool slow_io{kSlowJobThreads};
  // The file reads and writes of transfers, their digests and zstd,
  // overlapping with the network (wire::send_stream, wire::receive_stream).
  asio::thread_pool transfer_io{4};
  // The S3 backend's requests: each blocks a thread for its transfer (a
  // part is 8 MiB), so enough for several transfers and the listings'
  // HEADs at once; one idle thread for a local store.
  asio::thread_pool storage_io{is_s3_storage(config.storage_dir) ? kS3Threads : 1U};
  // The S3 backend's claims on partials when they are a cluster's (null:
  // the backend's own, in memory).
  std::shared_ptr<storage::PartialClaims> partial_claims;
  // Where the users' files are: the POSIX backend over the store or the
  // S3 backend, on the pools above (declared before it, so they outlive it).
  std::unique_ptr<storage::Backend> owned_backend;
  storage::Backend& backend;
  // The file data in flight of all transfers (--max-transfer-memory).
  net::MemoryBudget transfer_memory{static_cast<std::size_t>(config.max_transfer_memory)};

  // The browser app's logins (in a cluster, a table in PostgreSQL).
  std::unique_ptr<auth::WebSessionTable> owned_web_sessions;
  auth::WebSessionTable& web_sessions;
  // The certificate is not self-signed: the app's replies carry HSTS.
  bool real_certificate = !tls::is_self_signed_file(config.cert_file);

  // Live connections and who is logged in on them, so that a draining
  // server can close the idle ones and a reload of the auth file can end
  // the sessions of deleted users and of changed passwords.
  LiveSessions sessions;
  // Set on SIGTERM/SIGINT: the health check answers 503 from then on; the
  // drain (draining) starts after config.drain_grace.
  std::atomic<bool> leaving{false};
  std::atomic<bool> draining{false};
};

// The files of a user who just logged in, through any door: their space on
// the backend, the shared quota ledger and pools, the configured limits.
// The backend's error (kIo) when the space cannot be opened.
awaitable<Result<files::UserFiles>> open_user_files(Shared& shared, std::string user);

// Who is at the other end of a connection: the socket's peer, or the client
// a trusted balancer named in its PROXY protocol header.
struct PeerName {
  std::string peer;    // "address:port" ("[v6]:port"), for the log
  std::string source;  // the address alone: admission, penalties
};

// Serves one accepted connection of one listener (a door: the sfs session,
// run_session; the HTTPS face, run_https). It gets the socket (TCP_NODELAY
// set, on its own strand, past any PROXY protocol header), the admission
// ticket, which it holds until it ends, and the peer's name; it must not
// throw.
using ConnectionHandler = std::function<awaitable<void>(std::shared_ptr<Shared>, tcp::socket,
                                                        Admission::Ticket, PeerName)>;

class Server {
 public:
  Server(Config config, tls::ContextPtr tls, StartUsers users, StorageChoice store);

  // Binds and listens. kNetwork with "cannot listen on H:P: reason".
  Result<void> listen();
  tcp::endpoint local_endpoint() const;
  // The HTTPS listener's endpoint (config.https_port; none when 0).
  std::optional<tcp::endpoint> https_endpoint() const;
  // Serves until stop() or SIGINT/SIGTERM. Meanwhile reloads the auth file
  // on SIGHUP and when it changes on disk (see AuthReload).
  void run();
  void stop();
  // Stops accepting, closes idle connections, lets transfers in flight
  // finish within the drain timeout, then stops.
  void drain();
  // Makes the health check answer 503 at once, then drains after
  // config.drain_grace (at once when it is 0).
  void leave();

 private:
  // Accepts on `listener` until it is closed, handing each connection to
  // hand_on.
  awaitable<void> accept_loop(net::Listener& listener, ConnectionHandler handler);
  // Hands a connection just accepted (on its own strand) to start(), or,
  // from a trusted balancer, to through_balancer().
  void hand_on(tcp::socket socket, const ConnectionHandler& handler);
  // Reads the PROXY protocol header of a connection from a trusted balancer
  // (at most max_unauthenticated at once, each within the handshake
  // timeout), then starts it under the client's name; closes it when the
  // header is missing or bad.
  awaitable<void> through_balancer(tcp::socket socket, ConnectionHandler handler,
                                   tcp::endpoint balancer);
  // Admits the connection under `name` and runs `handler` on it; a refused
  // one is closed.
  void start(tcp::socket socket, const ConnectionHandler& handler, PeerName name);
  // The ticket of a connection from `source`, or nullopt when it is
  // refused (then it is closed). Logs refusals and evictions.
  std::optional<Admission::Ticket> admit(tcp::socket& socket, const std::string& source);
  // Logs `line` within `budget`, saying first how many `what` it left out.
  // Thread-safe.
  void log_within(LogBudget& budget, std::string_view what, const std::string& line);
  // Removes stale temp and partial files now and then.
  awaitable<void> clean_periodically();
  awaitable<void> wait_for_drain();
  void wait_for_reload_signal();

  // One io_context per thread, each run by that thread alone (nginx's
  // worker per core): a connection stays on the thread that accepted it
  // for it, so its steps never wake another thread. io_ also runs the
  // listeners, signals and timers.
  asio::io_context io_;
  std::vector<std::unique_ptr<asio::io_context>> more_io_;  // the other threads'
  asio::signal_set signals_;         // set up before the banner, so no signal is missed
  asio::signal_set reload_signals_;  // SIGHUP, likewise: its default would kill the server
  net::Listener listener_;
  net::Listener https_listener_;  // open when config.https_port is set
  std::shared_ptr<Shared> shared_;
  AuthReload auth_reload_;  // after shared_: it uses the users and sessions
  // Refusals and evictions, apart so that floods of refusals never hide an
  // eviction. Used by the accept loop and by the balancers' connections
  // reading their header (under log_mutex_).
  LogBudget refusal_log_;
  LogBudget eviction_log_;
  std::mutex log_mutex_;  // the budgets: balancers' connections log from their strands
  // --proxy-protocol-from (checked before: aborts on a bad list), and the
  // connections from them still reading their header.
  TrustedBalancers balancers_;
  std::atomic<unsigned> reading_headers_{0};
};

}  // namespace sfs::server
