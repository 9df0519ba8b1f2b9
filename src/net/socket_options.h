#pragma once
// The TCP options of every sfs connection, set on both ends (the server's
// accepted sockets, the client's connected one).

#include "asio/asio.h"

namespace sfs::net {

// The most bytes a socket queues that TCP cannot send yet (its window is
// full): TCP_NOTSENT_LOWAT. Without a bound, a sender that is faster than
// its peer fills the whole send buffer, and those bytes then leave when the
// peer's ACKs open the window: on the peer's CPU (on loopback, in the
// softirq of the reader's ACK), so the slower side also pays for the
// faster side's sending. With the bound the sender sends its own bytes, as
// the window opens. Measured on loopback (bench/notes.md, stop 33): a 1 GiB
// upload +30% with less server CPU, curl's WebDAV GET +9%, a download and
// 100 clients within noise; 64 KiB to 256 KiB did about as well, 32 KiB
// cost more wake-ups than it saved. It also caps what a peer that stops
// reading pins in our kernel beyond its own window. Bytes in flight are not
// bounded, so a long fat link still fills its window.
inline constexpr int kUnsentBytes = 128 * 1024;

// Sets TCP_NODELAY (sfs writes whole messages; Nagle would only delay the
// last segment of each) and the unsent bound. Best effort: a kernel without
// an option leaves that socket as it was.
void set_stream_options(asio::ip::tcp::socket& socket);

}  // namespace sfs::net
