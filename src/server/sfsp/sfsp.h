#pragma once
// The sfs protocol door: one client connection, from TLS handshake to
// close, as one coroutine.

#include <memory>

#include "asio/asio.h"
#include "server/server.h"

namespace sfs::server {

// Runs a session on the socket's executor (a strand). Never throws: every
// failure ends in a log line and a closed connection.
awaitable<void> run_session(std::shared_ptr<Shared> shared, tcp::socket socket,
                            Admission::Ticket ticket, PeerName name);

}  // namespace sfs::server
