#pragma once
// Login attempts shared through PostgreSQL (auth/verdict_share.h): each
// begin and end is a NOTIFY on channel sfs_login_verdicts; a thread of its
// own LISTENs on a connection of its own and hands the other nodes'
// messages to the gate. PostgreSQL queues notifications in commit order
// (committers take a lock for it) and delivers that queue to every
// listener in order, so every node sees the same order, its own
// announcements included: begin() waits until its own comes back and runs
// the gate's decision right then, on the listening thread. Nothing is
// stored: like one node's memory, a restarted node starts with no
// penalties.
//
//   pg::PgVerdictShare share(db);   // then Authenticator{.verdicts = &share}
//
// While its LISTEN connection is down, begin() and end() fail: a node that
// cannot hear the others must not judge logins alone (the login is then
// refused as unavailable); the thread reconnects every second.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
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

  void start(Handlers handlers) override;
  void stop() override;
  Result<std::uint64_t> begin(const auth::AttemptKey& key, std::function<void()> at_turn) override;
  Result<void> end(std::uint64_t seq, const auth::AttemptKey& key, std::optional<bool> ok) override;

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
  // Waits up to `wait` unless stop() comes first.
  void pause(std::chrono::milliseconds wait);
  Result<void> notify(const auth::AttemptMessage& message);
  // On the listening thread: a message of the cluster, in its order.
  void delivered(const auth::AttemptMessage& message);
  // The LISTEN connection went: announcements sent on it may never come
  // back.
  void deafened();

  std::shared_ptr<Database> db_;
  const std::uint64_t node_;  // random: tells this node's own NOTIFYs apart
  Handlers handlers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  Listener listener_;
  std::thread thread_;
  std::mutex stop_mutex_;  // one stop() joins

  // This node's announcements waiting to come back, by seq.
  std::mutex turns_mutex_;
  std::condition_variable turn_came_;
  std::uint64_t last_seq_ = 0;
  std::map<std::uint64_t, std::function<void()>> waiting_;
  std::uint64_t deafenings_ = 0;  // times the LISTEN connection went
};

}  // namespace sfs::pg
