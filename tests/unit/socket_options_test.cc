#include "net/socket_options.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sfs::net {
namespace {

using asio::ip::tcp;

int int_option(tcp::socket& socket, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(socket.native_handle(), IPPROTO_TCP, name, &value, &length), 0);
  return value;
}

TEST(SocketOptionsTest, SetsNoDelayAndBoundsUnsentBytes) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket served = acceptor.accept();
  ASSERT_EQ(int_option(client, TCP_NODELAY), 0);  // the kernel's defaults, before
  const int unbounded = int_option(client, TCP_NOTSENT_LOWAT);
  ASSERT_NE(unbounded, kUnsentBytes);

  set_stream_options(client);

  EXPECT_NE(int_option(client, TCP_NODELAY), 0);
  EXPECT_EQ(int_option(client, TCP_NOTSENT_LOWAT), kUnsentBytes);
  EXPECT_EQ(int_option(served, TCP_NOTSENT_LOWAT), unbounded);  // per socket, not per pair
}

}  // namespace
}  // namespace sfs::net
