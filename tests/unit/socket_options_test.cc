#include "net/socket_options.h"

#include <gtest/gtest.h>

#include "tcp_option.h"

namespace sfs::net {
namespace {

using asio::ip::tcp;
using test::tcp_option;

TEST(SocketOptionsTest, SetsNoDelayAndBoundsUnsentBytes) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket served = acceptor.accept();
  ASSERT_EQ(tcp_option(client, TCP_NODELAY), 0);  // the kernel's defaults, before
  const int unbounded = tcp_option(client, TCP_NOTSENT_LOWAT);
  ASSERT_NE(unbounded, kUnsentBytes);

  set_stream_options(client);

  EXPECT_NE(tcp_option(client, TCP_NODELAY), 0);
  EXPECT_EQ(tcp_option(client, TCP_NOTSENT_LOWAT), kUnsentBytes);
  EXPECT_EQ(tcp_option(served, TCP_NOTSENT_LOWAT), unbounded);  // per socket, not per pair
}

}  // namespace
}  // namespace sfs::net
