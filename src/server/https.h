#pragma once
// The HTTPS door's handler for the accept loop: what the server shares
// (authenticator, store, quota, pools, live sessions, admission) handed to
// server/http, which knows none of it.

#include <memory>

#include "asio/asio.h"
#include "server/server.h"

namespace sfs::server {

// Serves one connection of the --https-port listener. Never throws.
awaitable<void> run_https(std::shared_ptr<Shared> shared, tcp::socket socket,
                          Admission::Ticket ticket, PeerName name);

}  // namespace sfs::server
