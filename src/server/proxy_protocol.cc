#include "server/proxy_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <span>

#include "base/check.h"
#include "protocol/proxy_header.h"

namespace sfs::server {
namespace {

// `address` as IPv6 bytes (an IPv4 one as IPv4-mapped).
std::array<std::uint8_t, 16> v6_bytes(const asio::ip::address& address) {
  if (address.is_v4()) {
    return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
  }
  return address.to_v6().to_bytes();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 unsigned bits) {
  const unsigned whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) {
    return false;
  }
  const unsigned rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

tcp::endpoint endpoint_of(const protocol::ProxyHeader& header) {
  if (header.family == protocol::ProxyHeader::Family::kInet) {
    asio::ip::address_v4::bytes_type v4{};
    std::copy_n(header.address.begin(), v4.size(), v4.begin());
    return {asio::ip::address_v4(v4), header.port};
  }
  return {asio::ip::address_v6(header.address), header.port};
}

}  // namespace

Result<TrustedBalancers> TrustedBalancers::parse(std::string_view list) {
  TrustedBalancers trusted;
  while (!trim(list).empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const std::size_t slash = entry.find('/');
    const std::string address_text(entry.substr(0, slash));
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(address_text, ec);
    if (ec || address_text.empty()) {
      return make_error(Errc::kBadRequest, fmt::format("not an address: \"{}\"", entry));
    }
    Block block{v6_bytes(address), 128};
    if (slash != std::string_view::npos) {
      const std::string_view bits = entry.substr(slash + 1);
      unsigned value = 0;
      const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
      const unsigned most = address.is_v4() ? 32 : 128;
      if (error != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
          value > most) {
        return make_error(Errc::kBadRequest,
                          fmt::format("not a prefix length (0 to {}): \"{}\"", most, entry));
      }
      block.bits = address.is_v4() ? value + 96 : value;
    }
    trusted.blocks_.push_back(block);
  }
  return trusted;
}

bool TrustedBalancers::contains(const asio::ip::address& address) const {
  const auto bytes = v6_bytes(address);
  return std::any_of(blocks_.begin(), blocks_.end(),
                     [&](const Block& b) { return same_prefix(b.base, bytes, b.bits); });
}

awaitable<Result<tcp::endpoint>> read_proxy_header(tcp::socket& socket, const tcp::endpoint& peer,
                                                   std::chrono::steady_clock::duration timeout) {
  // The deadline closes the socket; `over` tells a late timer that the
  // header was read meanwhile (both run on the socket's strand).
  auto over = std::make_shared<bool>(false);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(socket.get_executor(), timeout);
  timer.async_wait([&socket, over, timed_out](const boost::system::error_code& ec) {
    if (!ec && !*over) {
      *timed_out = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  });
  std::array<std::uint8_t, protocol::kMaxProxyHeaderBytes> bytes{};
  std::size_t have = 0;
  std::size_t want = protocol::kProxyHeaderFirstBytes;
  Result<tcp::endpoint> outcome = make_error(Errc::kNetwork, "no PROXY protocol header");
  while (true) {
    SFS_CHECK(have + want <= bytes.size());  // the parser never asks past its limit
    boost::system::error_code ec;
    co_await asio::async_read(socket, asio::buffer(bytes.data() + have, want),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      outcome = make_error(Errc::kNetwork, *timed_out ? "no PROXY protocol header in time"
                                                      : "closed before a PROXY protocol header");
      break;
    }
    have += want;
    auto parsed = protocol::parse_proxy_header(std::span<const std::uint8_t>(bytes.data(), have));
    if (!parsed) {
      outcome = parsed.error();
      break;
    }
    if (parsed->more == 0) {
      outcome = parsed->header.local ? peer : endpoint_of(parsed->header);
      break;
    }
    want = parsed->more;
  }
  *over = true;
  timer.cancel();
  co_return outcome;
}

}  // namespace sfs::server
