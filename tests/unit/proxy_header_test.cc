#include "protocol/proxy_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sfs::protocol {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A v2 header: command byte, family byte, then `body` (addresses, TLVs).
Bytes v2(std::uint8_t command, std::uint8_t family, const Bytes& body) {
  Bytes b = kSignature;
  b.push_back(command);
  b.push_back(family);
  b.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(body.size() & 0xFF));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// 192.0.2.7:51000 -> 198.51.100.1:9001
const Bytes kInetBody = {192, 0, 2, 7, 198, 51, 100, 1, 0xC7, 0x38, 0x23, 0x29};

Bytes inet6_body(const Bytes& source) {
  Bytes b = source;
  Bytes destination(16, 0);
  destination[15] = 1;
  b.insert(b.end(), destination.begin(), destination.end());
  b.insert(b.end(), {0x01, 0xBB, 0x23, 0x29});  // 443 -> 9001
  return b;
}

// Parses `in` as a reader would: the first bytes, then what `more` asks.
// Returns the result of the last parse and how many bytes were used.
Result<ProxyParse> parse_like_reader(const Bytes& in, std::size_t* used) {
  std::size_t have = std::min(in.size(), kProxyHeaderFirstBytes);
  for (;;) {
    auto parsed = parse_proxy_header(std::span(in.data(), have));
    if (!parsed || parsed->more == 0 || have + parsed->more > in.size()) {
      *used = have;
      return parsed;
    }
    have += parsed->more;
  }
}

TEST(ProxyHeaderTest, V2Inet) {
  const Bytes in = v2(0x21, 0x11, kInetBody);
  auto parsed = parse_proxy_header(in);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->more, 0U);
  EXPECT_EQ(parsed->length, in.size());
  EXPECT_FALSE(parsed->header.local);
  EXPECT_EQ(parsed->header.version, 2);
  EXPECT_EQ(parsed->header.family, ProxyHeader::Family::kInet);
  EXPECT_EQ(proxy_source_text(parsed->header), "192.0.2.7");
  EXPECT_EQ(parsed->header.port, 51000);
}

TEST(ProxyHeaderTest, V2Inet6) {
  Bytes source(16, 0);
  source[0] = 0x20;
  source[1] = 0x01;
  source[2] = 0x0d;
  source[3] = 0xb8;
  source[15] = 0x05;
  auto parsed = parse_proxy_header(v2(0x21, 0x21, inet6_body(source)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->header.family, ProxyHeader::Family::kInet6);
  EXPECT_EQ(proxy_source_text(parsed->header), "2001:db8::5");
  EXPECT_EQ(parsed->header.port, 443);
}

TEST(ProxyHeaderTest, V2MappedInet6IsInet) {
  Bytes source(16, 0);
  source[10] = 0xFF;
  source[11] = 0xFF;
  source[12] = 127;
  source[15] = 5;
  auto parsed = parse_proxy_header(v2(0x21, 0x21, inet6_body(source)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header.family, ProxyHeader::Family::kInet);
  EXPECT_EQ(proxy_source_text(parsed->header), "127.0.0.5");
}

TEST(ProxyHeaderTest, V2TlvsAreSkipped) {
  Bytes body = kInetBody;
  const Bytes tlv = {0x01, 0x00, 0x02, 'h', '2'};  // PP2_TYPE_ALPN
  body.insert(body.end(), tlv.begin(), tlv.end());
  const Bytes in = v2(0x21, 0x11, body);
  auto parsed = parse_proxy_header(in);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->length, in.size());
  EXPECT_EQ(proxy_source_text(parsed->header), "192.0.2.7");
}

TEST(ProxyHeaderTest, V2LocalKeepsTheConnectionsAddress) {
  for (const Bytes& in : {v2(0x20, 0x00, {}), v2(0x20, 0x11, kInetBody)}) {
    auto parsed = parse_proxy_header(in);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->header.local);
    EXPECT_EQ(parsed->length, in.size());
    EXPECT_EQ(proxy_source_text(parsed->header), "");
  }
}

TEST(ProxyHeaderTest, V2UnspecAndUnixCarryNoAddress) {
  auto unspec = parse_proxy_header(v2(0x21, 0x00, {}));
  ASSERT_TRUE(unspec.ok());
  EXPECT_TRUE(unspec->header.local);
  auto unix_socket = parse_proxy_header(v2(0x21, 0x31, Bytes(216, 'x')));
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_TRUE(unix_socket->header.local);
}

TEST(ProxyHeaderTest, V2Refusals) {
  EXPECT_FALSE(parse_proxy_header(v2(0x11, 0x11, kInetBody)).ok());     // version 1 in v2
  EXPECT_FALSE(parse_proxy_header(v2(0x22, 0x11, kInetBody)).ok());     // command 2
  EXPECT_FALSE(parse_proxy_header(v2(0x21, 0x41, kInetBody)).ok());     // family 4
  EXPECT_FALSE(parse_proxy_header(v2(0x21, 0x12, kInetBody)).ok());     // datagram
  EXPECT_FALSE(parse_proxy_header(v2(0x21, 0x11, Bytes(11, 0))).ok());  // short addresses
  EXPECT_FALSE(parse_proxy_header(v2(0x21, 0x21, kInetBody)).ok());     // short for v6
}

TEST(ProxyHeaderTest, V2OversizedIsRefusedFromItsLength) {
  Bytes fixed = v2(0x21, 0x11, {});
  const std::size_t body = kMaxProxyHeaderBytes - kProxyV2FixedBytes + 1;
  fixed[14] = static_cast<std::uint8_t>(body >> 8);
  fixed[15] = static_cast<std::uint8_t>(body & 0xFF);
  auto parsed = parse_proxy_header(fixed);  // before a byte of the body
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kProtocol);
  fixed[14] = 0xFF;
  fixed[15] = 0xFF;
  EXPECT_FALSE(parse_proxy_header(fixed).ok());
  // The largest accepted one.
  auto largest =
      parse_proxy_header(v2(0x21, 0x11, Bytes(kMaxProxyHeaderBytes - kProxyV2FixedBytes, 7)));
  ASSERT_TRUE(largest.ok());
  EXPECT_EQ(largest->length, kMaxProxyHeaderBytes);
}

TEST(ProxyHeaderTest, V2TruncatedAsksForExactlyTheRest) {
  const Bytes in = v2(0x21, 0x11, kInetBody);
  for (std::size_t n = 0; n < in.size(); ++n) {
    auto parsed = parse_proxy_header(std::span(in.data(), n));
    ASSERT_TRUE(parsed.ok()) << n;
    ASSERT_GT(parsed->more, 0U) << n;
    EXPECT_LE(n + parsed->more, in.size()) << n;  // never past the header
  }
  std::size_t used = 0;
  auto parsed = parse_like_reader(in, &used);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->more, 0U);
  EXPECT_EQ(used, in.size());
}

TEST(ProxyHeaderTest, TheBytesAfterTheHeaderAreNeverTaken) {
  Bytes in = v2(0x21, 0x11, kInetBody);
  const std::size_t header = in.size();
  const Bytes tls = {0x16, 0x03, 0x01, 0x02, 0x00};
  in.insert(in.end(), tls.begin(), tls.end());
  std::size_t used = 0;
  auto parsed = parse_like_reader(in, &used);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(used, header);
  EXPECT_EQ(parsed->length, header);

  Bytes line = text("PROXY TCP4 192.0.2.7 198.51.100.1 51000 9001\r\n");
  const std::size_t line_length = line.size();
  line.insert(line.end(), tls.begin(), tls.end());
  parsed = parse_like_reader(line, &used);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(used, line_length);
  EXPECT_EQ(parsed->length, line_length);
}

TEST(ProxyHeaderTest, V1Tcp4AndTcp6) {
  const Bytes four = text("PROXY TCP4 192.0.2.7 198.51.100.1 51000 9001\r\n");
  std::size_t used = 0;
  auto parsed = parse_like_reader(four, &used);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->header.version, 1);
  EXPECT_FALSE(parsed->header.local);
  EXPECT_EQ(proxy_source_text(parsed->header), "192.0.2.7");
  EXPECT_EQ(parsed->header.port, 51000);

  parsed = parse_like_reader(text("PROXY TCP6 2001:db8::5 2001:db8::1 65535 9001\r\n"), &used);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header.family, ProxyHeader::Family::kInet6);
  EXPECT_EQ(proxy_source_text(parsed->header), "2001:db8::5");
  EXPECT_EQ(parsed->header.port, 65535);
}

TEST(ProxyHeaderTest, V1Unknown) {
  std::size_t used = 0;
  for (std::string_view line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
    auto parsed = parse_like_reader(text(line), &used);
    ASSERT_TRUE(parsed.ok()) << line;
    EXPECT_TRUE(parsed->header.local);
    EXPECT_EQ(used, line.size());
  }
}

TEST(ProxyHeaderTest, V1Refusals) {
  std::size_t used = 0;
  for (std::string_view line : {
           "PROXY TCP4 192.0.2.7 198.51.100.1 51000\r\n",         // a port short
           "PROXY TCP4 192.0.2.7 198.51.100.1 51000 9001 1\r\n",  // a word too many
           "PROXY TCP4 192.0.2.7  198.51.100.1 51000 9001\r\n",   // two spaces
           "PROXY TCP4 192.0.2.777 198.51.100.1 51000 9001\r\n",  // not an address
           "PROXY TCP4 2001:db8::5 198.51.100.1 51000 9001\r\n",  // v6 in TCP4
           "PROXY TCP6 192.0.2.7 2001:db8::1 51000 9001\r\n",     // v4 in TCP6
           "PROXY TCP4 192.0.2.7 198.51.100.1 65536 9001\r\n",    // port too large
           "PROXY TCP4 192.0.2.7 198.51.100.1 -1 9001\r\n",       // a sign
           "PROXY TCP4 192.0.2.7 198.51.100.1 51000 9001\n",      // no CR
           "PROXY TCP4 192.0.2.7 198.51.100.1 51000 9001\rx",     // stray CR
           "PROXY UDP4 192.0.2.7 198.51.100.1 51000 9001\r\n",    // not TCP
           "PROXY TCP4 192.0.2.7\t198.51.100.1 51000 9001\r\n",   // a tab
       }) {
    auto parsed = parse_like_reader(text(line), &used);
    EXPECT_FALSE(parsed.ok()) << line;
  }
}

TEST(ProxyHeaderTest, V1LongerThan107BytesIsRefused) {
  std::string line = "PROXY UNKNOWN " + std::string(200, 'a') + "\r\n";
  std::size_t used = 0;
  auto parsed = parse_like_reader(text(line), &used);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(used, kMaxProxyV1Bytes);
  // 107 bytes with the CRLF: accepted.
  line = "PROXY UNKNOWN " + std::string(kMaxProxyV1Bytes - 16, 'a') + "\r\n";
  ASSERT_EQ(line.size(), kMaxProxyV1Bytes);
  parsed = parse_like_reader(text(line), &used);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(used, kMaxProxyV1Bytes);
  // Given whole, a line too long is refused as well (found by fuzzing: the
  // whole input was accepted with its CRLF at byte 551).
  line = "PROXY UNKNOWN " + std::string(200, 'a') + "\r\n";
  EXPECT_FALSE(parse_proxy_header(text(line)).ok());
  line = "PROXY UNKNOWN " + std::string(kMaxProxyV1Bytes - 15, 'a') + "\r\n";
  ASSERT_EQ(line.size(), kMaxProxyV1Bytes + 1);
  EXPECT_FALSE(parse_proxy_header(text(line)).ok());
}

TEST(ProxyHeaderTest, GarbageIsRefusedAtTheFirstWrongByte) {
  // A TLS ClientHello from a client that should have come through the balancer.
  const Bytes hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC};
  auto parsed = parse_proxy_header(hello);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::kProtocol);
  EXPECT_FALSE(parse_proxy_header(text("GET / HTTP/1.1\r\n")).ok());
  EXPECT_FALSE(parse_proxy_header(text("PROXX")).ok());
  EXPECT_FALSE(parse_proxy_header(Bytes{0x0D, 0x0A, 0x0D, 0x0A, 0x01}).ok());
  auto empty = parse_proxy_header({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->more, kProxyHeaderFirstBytes);
}

}  // namespace
}  // namespace sfs::protocol
