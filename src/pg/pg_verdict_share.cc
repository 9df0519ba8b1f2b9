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

std::uint64_t random_node() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

class PgVerdictShare::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, std::uint64_t node,
           const std::function<void(const auth::SharedVerdict&)>& deliver)
      : pqxx::notification_receiver(connection, kChannel), node_(node), deliver_(deliver) {}

  void operator()(const std::string& payload, int /*backend_pid*/) override {
    const auto decoded = auth::decode_verdict(payload);
    if (decoded && decoded->node != node_) {
      deliver_(decoded->verdict);
    }
  }

 private:
  std::uint64_t node_;
  const std::function<void(const auth::SharedVerdict&)>& deliver_;
};

PgVerdictShare::PgVerdictShare(std::shared_ptr<Database> db)
    : db_(std::move(db)), node_(random_node()) {}

PgVerdictShare::~PgVerdictShare() { stop(); }

// The first LISTEN before start() returns, so that a node that just
// started judges its first login with the others heard; when it fails, the
// thread tries again (and says so).
void PgVerdictShare::start(std::function<void(const auth::SharedVerdict&)> deliver) {
  deliver_ = std::move(deliver);
  if (listener_.open(*db_, node_, deliver_)) {
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

void PgVerdictShare::pause(std::chrono::milliseconds wait) {
  for (auto waited = std::chrono::milliseconds(0); waited < wait && !stopping_; waited += kPoll) {
    std::this_thread::sleep_for(kPoll);
  }
}

Result<void> PgVerdictShare::Listener::open(
    Database& db, std::uint64_t node,
    const std::function<void(const auth::SharedVerdict&)>& deliver) {
  auto made = db.connect();
  if (!made) {
    return made.error();
  }
  try {
    receiver = std::make_unique<Receiver>(**made, node, deliver);  // LISTEN
  } catch (const std::exception& e) {
    return make_error(Errc::kIo, db.name() + " unavailable: " + e.what());
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
      auto made = listener.open(*db_, node_, deliver_);
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
    }
  }
  listening_ = false;
  listener.close();
}

}  // namespace sfs::pg
