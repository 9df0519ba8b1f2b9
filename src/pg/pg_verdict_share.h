#pragma once
// Login verdicts shared through PostgreSQL (auth/verdict_share.h): publish()
// sends a NOTIFY on channel sfs_login_verdicts (delivered to every
// listening node when its transaction commits, before the publishing node
// answers its client); a thread of its own LISTENs on a connection of its
// own and hands the other nodes' verdicts to the gate. Nothing is stored:
// like one node's memory, a restarted node starts with no penalties.
//
//   pg::PgVerdictShare share(db);   // then Authenticator{.verdicts = &share}
//
// While its LISTEN connection is down, publish() fails too: a node that
// cannot hear the others must not judge logins alone (the login is then
// refused as unavailable); the thread reconnects every second.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "auth/verdict_share.h"
#include "pg/database.h"

namespace sfs::pg {

class PgVerdictShare final : public auth::VerdictShare {
 public:
  explicit PgVerdictShare(std::shared_ptr<Database> db);
  ~PgVerdictShare() override;
  PgVerdictShare(const PgVerdictShare&) = delete;
  PgVerdictShare& operator=(const PgVerdictShare&) = delete;

  void start(std::function<void(const auth::SharedVerdict&)> deliver) override;
  void stop() override;
  Result<void> publish(const auth::SharedVerdict& verdict) override;

  // True while the LISTEN connection is up (for tests and logs).
  bool listening() const { return listening_.load(); }

 private:
  class Receiver;
  // The LISTEN connection and its receiver (only the listening thread
  // touches it once start() returned).
  struct Listener {
    std::unique_ptr<pqxx::connection> connection;
    std::unique_ptr<Receiver> receiver;
    Result<void> open(Database& db, std::uint64_t node,
                      const std::function<void(const auth::SharedVerdict&)>& deliver);
    void close();
    Listener() = default;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();
  };

  void listen_loop();
  // Waits up to `wait` unless stop() comes first.
  void pause(std::chrono::milliseconds wait);

  std::shared_ptr<Database> db_;
  const std::uint64_t node_;  // random: tells this node's own NOTIFYs apart
  std::function<void(const auth::SharedVerdict&)> deliver_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  Listener listener_;
  std::thread thread_;
  std::mutex stop_mutex_;  // one stop() joins
};

}  // namespace sfs::pg
