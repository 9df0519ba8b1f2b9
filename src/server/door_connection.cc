#include "server/door_connection.h"

#include <utility>

namespace sfs::server {

std::string describe_peer(const tcp::socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  const auto address = ep.address();
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(ep.port());
}

std::string source_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  return socket.remote_endpoint(ec).address().to_string();
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
