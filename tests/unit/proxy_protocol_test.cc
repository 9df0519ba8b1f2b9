#include "server/proxy_protocol.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "run_task.h"

namespace sfs::server {
namespace {

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

TEST(TrustedBalancersTest, EmptyIsOff) {
  auto none = TrustedBalancers::parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(none->contains(ip("127.0.0.1")));
  EXPECT_TRUE(TrustedBalancers::parse("  ")->empty());
}

TEST(TrustedBalancersTest, AddressesAndBlocks) {
  auto trusted = TrustedBalancers::parse("127.0.0.1, 10.1.0.0/16,2001:db8::/32,::1");
  ASSERT_TRUE(trusted.ok()) << trusted.error().message;
  EXPECT_FALSE(trusted->empty());
  EXPECT_TRUE(trusted->contains(ip("127.0.0.1")));
  EXPECT_FALSE(trusted->contains(ip("127.0.0.2")));
  EXPECT_TRUE(trusted->contains(ip("10.1.255.7")));
  EXPECT_FALSE(trusted->contains(ip("10.2.0.1")));
  EXPECT_TRUE(trusted->contains(ip("2001:db8:ffff::9")));
  EXPECT_FALSE(trusted->contains(ip("2001:db9::9")));
  EXPECT_TRUE(trusted->contains(ip("::1")));
  // An IPv4 client on a dual-stack socket.
  EXPECT_TRUE(trusted->contains(ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(trusted->contains(ip("::ffff:10.1.2.3")));
}

TEST(TrustedBalancersTest, OddPrefixesAndEverything) {
  auto trusted = TrustedBalancers::parse("192.0.2.128/25");
  ASSERT_TRUE(trusted.ok());
  EXPECT_TRUE(trusted->contains(ip("192.0.2.200")));
  EXPECT_FALSE(trusted->contains(ip("192.0.2.127")));
  auto all = TrustedBalancers::parse("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->contains(ip("203.0.113.9")));
  EXPECT_FALSE(all->contains(ip("2001:db8::1")));  // IPv4 only
}

TEST(TrustedBalancersTest, Refusals) {
  for (const char* bad : {"haproxy.internal", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129",
                          "/8", "10.0.0.1,,10.0.0.2", "10.0.0.1/-1", "1.2.3.4 5"}) {
    auto parsed = TrustedBalancers::parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().code, Errc::kBadRequest);
    }
  }
}

// A connected pair on loopback: what the client writes, read_proxy_header
// reads on the server's socket; returns its result and what follows.
struct Outcome {
  Result<tcp::endpoint> client = make_error(Errc::kInternal, "not run");
  std::string after;
};

Outcome read_after_writing(const std::string& bytes, bool close_after) {
  return test::run([&]() -> awaitable<Outcome> {
    auto executor = co_await asio::this_coro::executor;
    tcp::acceptor acceptor(executor, tcp::endpoint(ip("127.0.0.1"), 0));
    tcp::socket client(executor);
    co_await client.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
    tcp::socket server = co_await acceptor.async_accept(asio::use_awaitable);
    co_await asio::async_write(client, asio::buffer(bytes), asio::use_awaitable);
    if (close_after) {
      client.shutdown(tcp::socket::shutdown_send);
    }
    const tcp::endpoint peer = server.remote_endpoint();
    Outcome out;
    out.client = co_await read_proxy_header(server, peer, std::chrono::milliseconds(500));
    if (out.client.ok()) {
      std::string rest(5, '\0');
      boost::system::error_code ec;
      const std::size_t n = co_await asio::async_read(
          server, asio::buffer(rest), asio::redirect_error(asio::use_awaitable, ec));
      out.after = rest.substr(0, n);
    }
    co_return out;
  }());
}

TEST(ReadProxyHeaderTest, TakesExactlyTheHeader) {
  auto out = read_after_writing("PROXY TCP4 127.0.0.5 127.0.0.1 40000 9001\r\nhello", false);
  ASSERT_TRUE(out.client.ok()) << out.client.error().message;
  EXPECT_EQ(out.client->address().to_string(), "127.0.0.5");
  EXPECT_EQ(out.client->port(), 40000);
  EXPECT_EQ(out.after, "hello");

  std::string v2 = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I',
                    'T',  '\n', 0x21, 0x11, 0,    12,   127,  0,   0,   6,
                    127,  0,    0,    1,    0x1F, 0x40, 0x23, 0x29};
  out = read_after_writing(v2 + "hello", false);
  ASSERT_TRUE(out.client.ok()) << out.client.error().message;
  EXPECT_EQ(out.client->address().to_string(), "127.0.0.6");
  EXPECT_EQ(out.client->port(), 8000);
  EXPECT_EQ(out.after, "hello");
}

TEST(ReadProxyHeaderTest, LocalKeepsThePeer) {
  auto out = read_after_writing("PROXY UNKNOWN\r\nhello", false);
  ASSERT_TRUE(out.client.ok());
  EXPECT_EQ(out.client->address().to_string(), "127.0.0.1");
  EXPECT_EQ(out.after, "hello");
}

TEST(ReadProxyHeaderTest, GarbageClosedAndSilenceTimedOut) {
  auto garbage = read_after_writing(
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9) + std::string(20, 'x'), false);
  ASSERT_FALSE(garbage.client.ok());
  EXPECT_EQ(garbage.client.error().code, Errc::kProtocol);
  auto cut = read_after_writing("PROXY TCP4 127.0.0.5", true);
  ASSERT_FALSE(cut.client.ok());
  EXPECT_EQ(cut.client.error().code, Errc::kNetwork);
  auto silent = read_after_writing("PROXY TCP4 127.0.0.5", false);
  ASSERT_FALSE(silent.client.ok());
  EXPECT_EQ(silent.client.error().code, Errc::kNetwork);
  EXPECT_NE(silent.client.error().message.find("in time"), std::string::npos);
}

}  // namespace
}  // namespace sfs::server
