#include "server/door_connection.h"

#include <utility>

namespace sfs::server {

PeerName name_peer(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string source = address.to_string();
  std::string peer =
      (address.is_v6() ? "[" + source + "]" : source) + ":" + std::to_string(endpoint.port());
  return {.peer = std::move(peer), .source = std::move(source)};
}

std::optional<LiveSessions::Entry> enlist(Shared& shared,
                                          const std::shared_ptr<net::Connection>& connection,
                                          Admission::Ticket& ticket, StopConnection stop) {
  const std::weak_ptr<net::Connection> weak = connection;
  LiveSessions::Entry entry =
      shared.sessions.add([weak, stop = std::move(stop)](LiveSessions::Why why) {
        if (auto c = weak.lock()) {
          asio::post(c->stream().get_executor(), [c, why, stop] { stop(*c, why); });
        }
      });
  // Closed on its own executor: the door ends as on any cut connection.
  const bool standing = ticket.on_evict([weak] {
    if (auto evicted = weak.lock()) {
      asio::post(evicted->stream().get_executor(), [evicted] { evicted->close(); });
    }
  });
  if (shared.draining || !standing) {
    return std::nullopt;
  }
  return entry;
}

}  // namespace sfs::server
