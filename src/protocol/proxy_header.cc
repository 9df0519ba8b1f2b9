#include "protocol/proxy_header.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

namespace sfs::protocol {
namespace {

constexpr std::array<std::uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";
// Version 2: the high nibble of byte 12 is the version, the low one the
// command; byte 13 is the family (high) and the transport (low).
constexpr std::uint8_t kV2Version = 0x2;
constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kFamilyUnspec = 0x0;
constexpr std::uint8_t kFamilyInet = 0x1;
constexpr std::uint8_t kFamilyInet6 = 0x2;
constexpr std::uint8_t kFamilyUnix = 0x3;
constexpr std::uint8_t kTransportStream = 0x1;
constexpr std::uint8_t kTransportDgram = 0x2;
// Bytes of both addresses and both ports, per family.
constexpr std::size_t kInetAddressBlock = 12;
constexpr std::size_t kInet6AddressBlock = 36;

Error bad(std::string message) { return make_error(Errc::kProtocol, std::move(message)); }

bool has_prefix(std::span<const std::uint8_t> in, std::span<const std::uint8_t> prefix) {
  const std::size_t n = std::min(in.size(), prefix.size());
  return std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), prefix.begin());
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

ProxyParse need(std::size_t more) {
  ProxyParse p;
  p.more = more;
  return p;
}

ProxyParse done(ProxyHeader header, std::size_t length) {
  ProxyParse p;
  p.header = header;
  p.length = length;
  return p;
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address.
void unmap(ProxyHeader& h) {
  static constexpr std::array<std::uint8_t, 12> kMapped = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xFF, 0xFF};
  if (h.family == ProxyHeader::Family::kInet6 &&
      std::equal(kMapped.begin(), kMapped.end(), h.address.begin())) {
    std::array<std::uint8_t, 16> v4{};
    std::copy_n(h.address.begin() + 12, 4, v4.begin());
    h.address = v4;
    h.family = ProxyHeader::Family::kInet;
  }
}

// Version 2's addresses (after the fixed part), `block` bytes of them.
Result<ProxyHeader> v2_addresses(std::uint8_t family, std::uint8_t transport,
                                 std::span<const std::uint8_t> block) {
  ProxyHeader h;
  h.version = 2;
  if (family == kFamilyUnspec || family == kFamilyUnix) {
    return h;  // no client address to believe: the connection's own
  }
  if (transport != kTransportStream) {
    return bad("PROXY v2: not a stream");
  }
  const bool v6 = family == kFamilyInet6;
  const std::size_t needed = family == kFamilyInet ? kInetAddressBlock : kInet6AddressBlock;
  if (block.size() < needed) {
    return bad("PROXY v2: addresses shorter than their family");
  }
  const std::size_t address_bytes = v6 ? 16 : 4;
  h.local = false;
  h.family = v6 ? ProxyHeader::Family::kInet6 : ProxyHeader::Family::kInet;
  std::copy_n(block.begin(), address_bytes, h.address.begin());
  const std::size_t port_at = 2 * address_bytes;  // source port, after both addresses
  h.port = static_cast<std::uint16_t>((block[port_at] << 8) | block[port_at + 1]);
  unmap(h);
  return h;
}

Result<ProxyParse> parse_v2(std::span<const std::uint8_t> in) {
  if (in.size() < kProxyV2FixedBytes) {
    return need(kProxyV2FixedBytes - in.size());
  }
  const std::uint8_t version = in[12] >> 4;
  const std::uint8_t command = in[12] & 0x0F;
  const std::uint8_t family = in[13] >> 4;
  const std::uint8_t transport = in[13] & 0x0F;
  if (version != kV2Version) {
    return bad("PROXY v2: unknown version");
  }
  if (command != kCommandLocal && command != kCommandProxy) {
    return bad("PROXY v2: unknown command");
  }
  if (family > kFamilyUnix || transport > kTransportDgram) {
    return bad("PROXY v2: unknown family or transport");
  }
  const std::size_t total = kProxyV2FixedBytes + ((std::size_t{in[14]} << 8) | in[15]);
  if (total > kMaxProxyHeaderBytes) {
    return bad("PROXY v2: header too long");
  }
  if (in.size() < total) {
    return need(total - in.size());
  }
  if (command == kCommandLocal) {
    ProxyHeader local;
    local.version = 2;
    return done(local, total);  // a balancer's own connection (a health check)
  }
  auto header =
      v2_addresses(family, transport, in.subspan(kProxyV2FixedBytes, total - kProxyV2FixedBytes));
  if (!header) {
    return header.error();
  }
  return done(*header, total);
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (true) {
    const std::size_t space = line.find(' ', start);
    words.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) {
      return words;
    }
    start = space + 1;
  }
}

// A decimal port: 1 to 5 digits, at most 65535.
bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5) {
    return false;
  }
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_address(std::string_view text, bool v6, std::uint8_t* out) {
  if (text.empty() || text.size() > 45) {  // INET6_ADDRSTRLEN - 1
    return false;
  }
  const std::string copy(text);  // inet_pton wants a terminated string
  return inet_pton(v6 ? AF_INET6 : AF_INET, copy.c_str(), out) == 1;
}

// "PROXY " already matched; `line` is all of it without "\r\n".
Result<ProxyHeader> parse_v1_line(std::string_view line) {
  ProxyHeader h;
  h.version = 1;
  const auto words = split_spaces(line.substr(kV1Prefix.size()));
  if (words[0] == "UNKNOWN") {
    return h;  // the rest is to be ignored
  }
  if ((words[0] != "TCP4" && words[0] != "TCP6") || words.size() != 5) {
    return bad("PROXY v1: malformed line");
  }
  const bool v6 = words[0] == "TCP6";
  std::array<std::uint8_t, 16> destination{};
  std::uint16_t destination_port = 0;
  if (!parse_address(words[1], v6, h.address.data()) ||
      !parse_address(words[2], v6, destination.data()) || !parse_port(words[3], h.port) ||
      !parse_port(words[4], destination_port)) {
    return bad("PROXY v1: malformed address or port");
  }
  h.local = false;
  h.family = v6 ? ProxyHeader::Family::kInet6 : ProxyHeader::Family::kInet;
  unmap(h);
  return h;
}

Result<ProxyParse> parse_v1(std::span<const std::uint8_t> in) {
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  // The "\r\n" must end by byte kMaxProxyV1Bytes, so a carriage return
  // past index kMaxProxyV1Bytes - 2 is already too long, however much was
  // read: whole or byte by byte, the same input gets the same answer.
  const std::size_t scan = std::min(text.size(), kMaxProxyV1Bytes - 1);
  for (std::size_t i = kV1Prefix.size(); i < scan; ++i) {
    const char c = text[i];
    if (c == '\r' && i + 1 < text.size()) {
      if (text[i + 1] != '\n') {
        return bad("PROXY v1: stray carriage return");
      }
      auto header = parse_v1_line(text.substr(0, i));
      if (!header) {
        return header.error();
      }
      return done(*header, i + 2);
    }
    if (c != '\r' && (c < 0x20 || c > 0x7E)) {
      return bad("PROXY v1: not printable");
    }
  }
  if (text.size() >= kMaxProxyV1Bytes) {
    return bad("PROXY v1: line too long");
  }
  return need(1);  // the end of the line is a byte at a time away
}

}  // namespace

Result<ProxyParse> parse_proxy_header(std::span<const std::uint8_t> in) {
  if (has_prefix(in, kV2Signature) && in.size() >= 1) {
    if (in.size() < kV2Signature.size()) {
      return need(kProxyHeaderFirstBytes - in.size());
    }
    return parse_v2(in);
  }
  if (has_prefix(in, bytes_of(kV1Prefix)) && in.size() >= 1) {
    if (in.size() < kProxyHeaderFirstBytes) {
      return need(kProxyHeaderFirstBytes - in.size());
    }
    return parse_v1(in);
  }
  if (in.empty()) {
    return need(kProxyHeaderFirstBytes);
  }
  return bad("no PROXY protocol header");
}

std::string proxy_source_text(const ProxyHeader& header) {
  if (header.local) {
    return {};
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  const bool v6 = header.family == ProxyHeader::Family::kInet6;
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, header.address.data(), text.data(),
                static_cast<socklen_t>(text.size())) == nullptr) {
    return {};
  }
  return text.data();
}

}  // namespace sfs::protocol
