#pragma once
// Login verdicts shared through PostgreSQL (auth/verdict_share.h): publish()
// sends a NOTIFY on channel sfs_login_verdicts (delivered to every
// listening node when its transaction commits, before the publishing node
// answers its client); a thread of its own LISTENs on a connection of its
// own and hands the other nodes' verdicts to the gate. sync() sends a
// barrier on the same channel and waits until that thread hears it back:
// PostgreSQL delivers notifications to each listener in the order they
// were committed, so by then every verdict sent before is applied. Nothing
// is stored:
// like one node's memory, a restarted node starts with no penalties.
//
//   pg::PgVerdictShare share(db);   // then Authenticator{.verdicts = &share}
//
// While its LISTEN connection is down, publish() fails too: a node that
// cannot hear the others must not judge logins alone (the login is then
// refused as unavailable); the thread reconnects every second.

#include <atomic>
#include <condition_variable>
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
  Result<void> sync() override;

  // True while the LISTEN connection is up (for tests and logs).
  bool listening() const { return listening_.load(); }

 private:
  class Receiver;
  // The LISTEN connection and its receiver (only the listening thread
  // touches it once start() returned).
  struct Listener {
    std::unique_ptr<pqxx::connection> connection;
    std::unique_ptr<Receiver> receiver;
    Result<void> open(PgVerdictShare& share);
    void close();
    Listener() = default;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();
  };

  void listen_loop();
  // The listening thread heard this node's barrier `seq`.
  void heard(std::uint64_t seq);
  // The LISTEN connection went: barriers sent on it may never come back.
  void deafened();
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

  std::mutex barrier_mutex_;
  std::condition_variable barrier_moved_;
  std::uint64_t barriers_sent_ = 0;   // the last seq sent
  std::uint64_t barriers_heard_ = 0;  // the last seq heard back
  std::uint64_t deafenings_ = 0;      // times the LISTEN connection went
};

}  // namespace sfs::pg
