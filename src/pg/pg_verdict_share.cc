#include "pg/pg_verdict_share.h"

#include <spdlog/spdlog.h>

#include <string>

namespace sfs::pg {
namespace {

constexpr const char* kChannel = "sfs_login_verdicts";
// How long the listener waits for a notification before it looks whether
// it should stop, and between attempts to reconnect.
constexpr auto kPoll = std::chrono::milliseconds(200);
constexpr auto kReconnect = std::chrono::seconds(1);
// How long begin() waits for its announcement to come back (milliseconds
// on a healthy database; past this the login is refused as unavailable).
constexpr auto kTurnTimeout = std::chrono::seconds(3);

}  // namespace

class PgVerdictShare::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, PgVerdictShare& share)
      : pqxx::notification_receiver(connection, kChannel), share_(share) {}

  void operator()(const std::string& payload, int /*backend_pid*/) override {
    if (const auto message = auth::decode_attempt(payload)) {
      share_.delivered(*message);
    }
  }

 private:
  PgVerdictShare& share_;
};

PgVerdictShare::PgVerdictShare(std::shared_ptr<Database> db)
    : db_(std::move(db)), node_(random_node_id()) {}

PgVerdictShare::~PgVerdictShare() { stop(); }

// The first LISTEN before start() returns, so that a node that just
// started judges its first login with the others heard; when it fails, the
// thread tries again (and says so).
void PgVerdictShare::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  if (listener_.open(*this)) {
    listening_ = true;
  }
  thread_ = std::thread([this] { listen_loop(); });
}

void PgVerdictShare::stop() {
  const std::lock_guard lock(stop_mutex_);
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  deafened();
}

Result<void> PgVerdictShare::notify(const auth::AttemptMessage& message) {
  if (!listening_) {
    return make_error(Errc::kIo, db_->name() + " unavailable: not listening to the other nodes");
  }
  const std::string payload = auth::encode_attempt(message);
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), payload);
    return {};
  });
}

// `at_turn` waits in waiting_ until the listening thread hears the
// announcement (and runs it there, under turns_mutex_), or until this call
// gives up and takes it back: never both.
Result<std::uint64_t> PgVerdictShare::begin(const auth::AttemptKey& key,
                                            std::function<void()> at_turn) {
  std::uint64_t seq = 0;
  std::uint64_t deafenings = 0;
  {
    const std::lock_guard lock(turns_mutex_);
    seq = ++last_seq_;
    deafenings = deafenings_;
    waiting_.emplace(seq, std::move(at_turn));
  }
  auto sent = notify({.node = node_, .seq = seq, .key = key});
  std::unique_lock lock(turns_mutex_);
  if (sent) {
    turn_came_.wait_for(lock, kTurnTimeout,
                        [&] { return !waiting_.contains(seq) || deafenings_ != deafenings; });
  }
  if (!waiting_.contains(seq)) {
    return seq;
  }
  waiting_.erase(seq);
  if (!sent) {
    return sent.error();
  }
  lock.unlock();
  // The others may have heard it: they must not hold it in flight.
  (void)end(seq, key, std::nullopt);
  lock.lock();
  return make_error(Errc::kIo, db_->name() + (deafenings_ != deafenings
                                                  ? " unavailable: the other nodes' messages "
                                                    "stopped coming"
                                                  : " unavailable: the other nodes' messages "
                                                    "did not come in time"));
}

Result<void> PgVerdictShare::end(std::uint64_t seq, const auth::AttemptKey& key,
                                 std::optional<bool> ok) {
  return notify({.node = node_, .seq = seq, .ended = true, .key = key, .ok = ok});
}

void PgVerdictShare::delivered(const auth::AttemptMessage& message) {
  if (message.node == node_) {
    if (message.ended) {
      return;  // counted here when it was decided
    }
    {
      const std::lock_guard lock(turns_mutex_);
      const auto it = waiting_.find(message.seq);
      if (it == waiting_.end()) {
        return;  // given up meanwhile
      }
      it->second();
      waiting_.erase(it);
    }
    turn_came_.notify_all();
    return;
  }
  const auth::RemoteAttempt attempt{
      std::to_string(message.node) + ":" + std::to_string(message.seq), message.key, message.ok};
  const auto& handler = message.ended ? handlers_.ended : handlers_.begun;
  if (handler) {
    handler(attempt);
  }
}

void PgVerdictShare::deafened() {
  {
    const std::lock_guard lock(turns_mutex_);
    ++deafenings_;
  }
  turn_came_.notify_all();
}

void PgVerdictShare::pause(std::chrono::milliseconds wait) {
  for (auto waited = std::chrono::milliseconds(0); waited < wait && !stopping_; waited += kPoll) {
    std::this_thread::sleep_for(kPoll);
  }
}

Result<void> PgVerdictShare::Listener::open(PgVerdictShare& share) {
  auto made = share.db_->connect();
  if (!made) {
    return made.error();
  }
  try {
    receiver = std::make_unique<Receiver>(**made, share);  // LISTEN
  } catch (const std::exception& e) {
    return share.db_->failed(e);
  }
  connection = std::move(*made);
  return {};
}

void PgVerdictShare::Listener::close() {
  receiver.reset();  // (UNLISTEN when the connection is still open; never throws)
  connection.reset();
}

PgVerdictShare::Listener::~Listener() { close(); }

void PgVerdictShare::listen_loop() {
  Listener& listener = listener_;
  bool reported = false;  // the outage was logged (once per outage)
  while (!stopping_) {
    if (!listener.connection) {
      auto made = listener.open(*this);
      if (!made) {
        if (!reported) {
          spdlog::error(
              "login verdicts of the other nodes cannot be heard ({}); logins are refused until "
              "they can",
              made.error().message);
          reported = true;
        }
        pause(kReconnect);
        continue;
      }
      listening_ = true;
      if (reported) {
        spdlog::info("listening to the other nodes' login verdicts again");
        reported = false;
      }
    }
    try {
      listener.connection->await_notification(0, std::chrono::microseconds(kPoll).count());
    } catch (const std::exception&) {
      listening_ = false;
      listener.close();
      deafened();
    }
  }
  listening_ = false;
  listener.close();
  deafened();
}

}  // namespace sfs::pg
