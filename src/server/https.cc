#include "server/https.h"

#include <spdlog/spdlog.h>

#include <string>

#include "net/connection.h"
#include "server/door_connection.h"
#include "server/http/door.h"

namespace sfs::server {
namespace {

http::Settings http_settings(const Config& config) {
  http::Settings s;
  s.max_header_bytes = config.max_http_header_bytes;
  s.handshake_timeout = config.handshake_timeout;
  s.login_timeout = config.login_timeout;
  s.idle_timeout = config.idle_timeout;
  s.io_timeout = config.io_timeout;
  s.max_login_attempts = config.max_login_attempts;
  s.max_file_bytes = config.max_file_bytes;
  s.max_path_bytes = config.max_path_bytes;
  s.quota_bytes = config.quota_bytes;
  s.quota_files = config.quota_files;
  return s;
}

// After a right password, as the sfs door does: out of the pre-login pool,
// listed under the user (a reload of the auth file ends the connection),
// still current, then the user's files.
awaitable<Result<files::UserFiles>> open_files(Shared& shared, Admission::Ticket& ticket,
                                               LiveSessions::Entry& entry,
                                               auth::Identity identity) {
  if (!ticket.logged_in()) {
    co_return make_error(Errc::kNetwork, "evicted");
  }
  entry.logged_in(identity.user);
  if (!shared.authenticator.current(identity)) {
    co_return make_error(Errc::kAuth, "the account changed during the login; log in again");
  }
  auto files = co_await open_user_files(shared, identity.user);
  if (!files) {
    spdlog::error("user={} storage: {}", identity.user, files.error().message);
    co_return make_error(Errc::kIo, "storage unavailable");
  }
  co_return std::move(*files);
}

}  // namespace

awaitable<void> run_https(std::shared_ptr<Shared> shared, tcp::socket socket,
                          Admission::Ticket ticket, PeerName name) {
  const std::string peer = std::move(name.peer);
  const std::string source = std::move(name.source);
  auto connection =
      std::make_shared<net::Connection>(std::move(socket), *shared->tls, shared->config.io_timeout);
  // Draining closes an idle connection; an account change closes any.
  auto entry = enlist(*shared, connection, ticket, [](net::Connection& c, LiveSessions::Why why) {
    why == LiveSessions::Why::kDrain ? c.close_if_idle() : c.close();
  });
  if (!entry) {
    connection->close();
    co_return;
  }
  connection->start_watchdog();
  http::Services services{
      .authenticator = shared->authenticator,
      .locks = shared->locks,
      .uploads = shared->uploads,
      .web_sessions = shared->web_sessions,
      .transfer_memory = shared->transfer_memory,
      .open_files =
          [&s = *shared, &ticket, &entry = *entry](const auth::Identity& identity) {
            return open_files(s, ticket, entry, identity);
          },
      .draining = [&s = *shared] { return s.draining.load(); },
      .leaving = [&s = *shared] { return s.leaving.load(); }};
  try {
    // Locals, not temporaries, in the co_await (GCC 12 destroys some twice).
    http::Peer who{peer, source};
    http::Settings settings = http_settings(shared->config);
    settings.hsts = shared->real_certificate;
    co_await http::serve(connection, who, settings, std::move(services));
  } catch (const std::exception& e) {
    spdlog::error("peer={} https error: {}", peer, e.what());
  }
  connection->close();
}

}  // namespace sfs::server
