#pragma once
// The PROXY protocol header (HAProxy's, versions 1 and 2) that a load
// balancer in TCP mode sends before the bytes of the connection it forwards,
// to tell the server the client's address. Pure: bytes in, the header or an
// error out. Only a connection from a trusted balancer is asked for one
// (server/proxy_protocol.h); the parser never reads past the header, so the
// TLS bytes that follow stay on the socket.
//
// Incremental, so that the reader takes exactly the header off the socket:
//
//   std::vector<std::uint8_t> got = read(kProxyHeaderFirstBytes);
//   for (;;) {
//     auto parsed = parse_proxy_header(got);
//     if (!parsed) { close; }                      // not a valid header
//     if (parsed->more == 0) { use parsed->header; break; }
//     append(got, read(parsed->more));
//   }
//
// Version 2 (binary): the 12-byte signature, version and command, family
// and transport, a 16-bit length, the addresses, then TLVs (ignored).
// Version 1 (text): "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or
// "PROXY UNKNOWN ...\r\n", 107 bytes at most.
// A LOCAL command (v2: a balancer's own health check), UNKNOWN (v1), and
// the families UNSPEC and UNIX (v2) carry no client address: `local` is
// set and the connection keeps its own peer address.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace sfs::protocol {

// The shortest header ("PROXY UNKNOWN\r\n"): what a reader takes first.
inline constexpr std::size_t kProxyHeaderFirstBytes = 15;
// Version 2's fixed part: signature, version/command, family, length.
inline constexpr std::size_t kProxyV2FixedBytes = 16;
// Version 1's longest line, "\r\n" included (the specification's limit).
inline constexpr std::size_t kMaxProxyV1Bytes = 107;
// The longest header accepted: version 2's fixed part and up to 520 bytes
// of addresses and TLVs (the specification allows 65535; balancers send
// the addresses, 36 bytes at most, and a few TLVs). Longer: an error.
inline constexpr std::size_t kMaxProxyHeaderBytes = 536;

struct ProxyHeader {
  enum class Family { kInet, kInet6 };
  int version = 2;
  // True: no client address (LOCAL, UNKNOWN, UNSPEC, UNIX); the fields
  // below are unset.
  bool local = true;
  Family family = Family::kInet;
  // The client's (source) address: 4 bytes for kInet, 16 for kInet6, in
  // network order. An IPv4-mapped IPv6 address comes out as kInet.
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;
};

struct ProxyParse {
  // Above 0: the header is not complete; read exactly this many more bytes
  // and parse all of them again.
  std::size_t more = 0;
  // When more is 0: the header and its length in bytes (the input's first
  // `length` bytes; a reader that follows `more` has read exactly those).
  ProxyHeader header;
  std::size_t length = 0;
};

// Parses the start of a connection. kProtocol when the bytes cannot begin a
// valid header (no signature, a wrong version or command, a length over
// kMaxProxyHeaderBytes, addresses shorter than their family needs, a v1
// line that is malformed or longer than kMaxProxyV1Bytes); never reads
// past `in`. Fewer than kProxyHeaderFirstBytes bytes: asks for the rest.
Result<ProxyParse> parse_proxy_header(std::span<const std::uint8_t> in);

// The client's address as text ("192.0.2.7", "2001:db8::1"); empty when
// `header.local`.
std::string proxy_source_text(const ProxyHeader& header);

}  // namespace sfs::protocol
