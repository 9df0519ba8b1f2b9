#include "pg/pg_verdict_share.h"

#include <spdlog/spdlog.h>

#include <random>
#include <string>

namespace sfs::pg {
namespace {

constexpr const char* kChannel = "sfs_login_verdicts";
// How long the listener waits for a notification before it looks whether
// it should stop, and between attempts to reconnect.
constexpr auto kPoll = std::chrono::milliseconds(200);
constexpr auto kReconnect = std::chrono::seconds(1);
// How long sync() waits for its barrier (milliseconds on a healthy
// database; past this the login is refused as unavailable).
constexpr auto kSyncTimeout = std::chrono::seconds(3);

std::uint64_t random_node() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

class PgVerdictShare::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, PgVerdictShare& share)
      : pqxx::notification_receiver(connection, kChannel), share_(share) {}

  // Other nodes' verdicts and this node's own barriers; this node's
  // verdicts are in its gate already, others' barriers mean nothing here.
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    if (const auto verdict = auth::decode_verdict(payload)) {
      if (verdict->node != share_.node_) {
        share_.deliver_(verdict->verdict);
      }
    } else if (const auto barrier = auth::decode_barrier(payload)) {
      if (barrier->node == share_.node_) {
        share_.heard(barrier->seq);
      }
    }
  }

 private:
  PgVerdictShare& share_;
};

PgVerdictShare::PgVerdictShare(std::shared_ptr<Database> db)
    : db_(std::move(db)), node_(random_node()) {}

PgVerdictShare::~PgVerdictShare() { stop(); }

// The first LISTEN before start() returns, so that a node that just
// started judges its first login with the others heard; when it fails, the
// thread tries again (and says so).
void PgVerdictShare::start(std::function<void(const auth::SharedVerdict&)> deliver) {
  deliver_ = std::move(deliver);
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
}

Result<void> PgVerdictShare::publish(const auth::SharedVerdict& verdict) {
  if (!listening_) {
    return make_error(Errc::kIo, db_->name() + " unavailable: not listening to the other nodes");
  }
  const std::string payload = auth::encode_verdict(node_, verdict);
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), payload);
    return {};
  });
}

// One barrier per call: a barrier sent before the caller's verdict of
// interest was committed would prove nothing, and logins are few.
Result<void> PgVerdictShare::sync() {
  std::uint64_t seq = 0;
  std::uint64_t deafenings = 0;
  {
    const std::lock_guard lock(barrier_mutex_);
    seq = ++barriers_sent_;
    deafenings = deafenings_;
  }
  if (!listening_) {
    return make_error(Errc::kIo, db_->name() + " unavailable: not listening to the other nodes");
  }
  const std::string payload = auth::encode_barrier({node_, seq});
  auto sent = db_->run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), payload);
    return {};
  });
  if (!sent) {
    return sent.error();
  }
  std::unique_lock lock(barrier_mutex_);
  const bool heard = barrier_moved_.wait_for(lock, kSyncTimeout, [&] {
    return barriers_heard_ >= seq || deafenings_ != deafenings || stopping_;
  });
  if (barriers_heard_ >= seq) {
    return {};
  }
  return make_error(Errc::kIo, db_->name() + (heard ? " unavailable: the other nodes' verdicts "
                                                      "stopped coming"
                                                    : " unavailable: the other nodes' verdicts "
                                                      "did not come in time"));
}

void PgVerdictShare::heard(std::uint64_t seq) {
  {
    const std::lock_guard lock(barrier_mutex_);
    barriers_heard_ = std::max(barriers_heard_, seq);
  }
  barrier_moved_.notify_all();
}

void PgVerdictShare::deafened() {
  {
    const std::lock_guard lock(barrier_mutex_);
    ++deafenings_;
  }
  barrier_moved_.notify_all();
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
