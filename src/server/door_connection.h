#pragma once
// What every door (the sfs session, the HTTPS face) does with a connection
// the listener handed it, before it speaks its protocol: names the peer for
// the log and the penalties, and enlists the connection where the server
// can end it (a drain, an account change, a newcomer evicting it before
// login).
//
//   auto entry = enlist(*shared, connection, ticket, stop_connection);
//   if (!entry) { connection->close(); co_return; }  // draining or evicted

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "asio/asio.h"
#include "net/connection.h"
#include "server/admission.h"
#include "server/live_sessions.h"
#include "server/server.h"

namespace sfs::server {

// The name of the peer at `endpoint`: "address:port" ("[v6]:port") and the
// address alone.
PeerName name_peer(const tcp::endpoint& endpoint);

// How a door ends its connection when the live sessions say so; runs on the
// connection's executor.
using StopConnection = std::function<void(net::Connection&, LiveSessions::Why)>;

// Lists `connection` with the live sessions (`stop` runs on its executor
// when a drain or an account change ends it) and with its admission ticket
// (a newcomer may take its place before login: then it is closed). Empty
// when it must close at once: the server drains, or it was evicted already.
std::optional<LiveSessions::Entry> enlist(Shared& shared,
                                          const std::shared_ptr<net::Connection>& connection,
                                          Admission::Ticket& ticket, StopConnection stop);

}  // namespace sfs::server
