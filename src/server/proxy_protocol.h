#pragma once
// The PROXY protocol on the server's side (docs/cluster.md): which peers are
// trusted load balancers (--proxy-protocol-from), and reading the header
// such a peer must send first, before TLS, to learn the client's address.
// The header itself is parsed by the protocol core (protocol/proxy_header.h).
//
//   auto balancers = TrustedBalancers::parse("10.0.0.5,10.1.0.0/16");
//   if (balancers->contains(peer.address())) {
//     auto client = co_await read_proxy_header(socket, peer, 10s);
//     if (!client) { log(client.error().message); close; }
//     // *client: the client's endpoint, or `peer` for a LOCAL header
//   }

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"

namespace sfs::server {

// Addresses and CIDR blocks of trusted balancers, IPv4 and IPv6.
class TrustedBalancers {
 public:
  // "ADDR[,ADDR...]", each an address or ADDR/BITS, spaces around commas
  // allowed; "" is none (the PROXY protocol off). kBadRequest with the
  // offending entry otherwise.
  static Result<TrustedBalancers> parse(std::string_view list);

  bool empty() const { return blocks_.empty(); }
  // Whether `address` is in one of the blocks (an IPv4-mapped IPv6 address
  // counts as its IPv4 address).
  bool contains(const asio::ip::address& address) const;

 private:
  struct Block {
    std::array<std::uint8_t, 16> base{};  // IPv4 as IPv4-mapped IPv6
    unsigned bits = 128;
  };
  std::vector<Block> blocks_;
};

// Reads a PROXY protocol header (v1 or v2) off `socket`, exactly its bytes,
// within `timeout`. The client's endpoint it names, or `peer` (the
// balancer) for a LOCAL or UNKNOWN header. kProtocol for bytes that are no
// valid header, kNetwork when the peer closes or the time runs out.
awaitable<Result<tcp::endpoint>> read_proxy_header(tcp::socket& socket, const tcp::endpoint& peer,
                                                   std::chrono::steady_clock::duration timeout);

}  // namespace sfs::server
