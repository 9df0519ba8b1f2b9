// Reads an integer TCP option of a socket, for the tests that check what
// net::set_stream_options set (its own test and the listener's).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "asio/asio.h"

namespace sfs::test {

// The value of IPPROTO_TCP option `name` (TCP_NODELAY, TCP_NOTSENT_LOWAT);
// a failed getsockopt fails the test and returns -1.
inline int tcp_option(asio::ip::tcp::socket& socket, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(socket.native_handle(), IPPROTO_TCP, name, &value, &length), 0);
  return value;
}

}  // namespace sfs::test
