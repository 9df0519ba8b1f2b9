#include "auth/verdict_share.h"

#include <charconv>
#include <vector>

#include "base/hex.h"

namespace sfs::auth {
namespace {

constexpr std::string_view kTag = "v1";
constexpr std::string_view kBarrierTag = "b1";

std::optional<std::string> bytes_of(std::string_view hex) {
  if (hex.size() % 2 != 0 || hex.size() > 2 * kMaxSharedField) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit_value(hex[i]);
    const int low = hex_digit_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out += static_cast<char>((high << 4) | low);
  }
  return out;
}

// Split at every space: n spaces, n + 1 fields (empty ones too), at most 6.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() <= 5) {
    const auto space = text.find(' ', start);
    fields.push_back(text.substr(start, space == std::string_view::npos ? space : space - start));
    if (space == std::string_view::npos) {
      break;
    }
    start = space + 1;
  }
  return fields;
}

std::string hex_number(std::uint64_t value) {
  char digits[17];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value, 16).ptr;
  return {digits, end};
}

// 1 to 16 lower-case or upper-case hex digits, nothing else.
std::optional<std::uint64_t> number_of(std::string_view hex) {
  std::uint64_t value = 0;
  if (hex.empty() || hex.size() > 16) {
    return std::nullopt;
  }
  const auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (ec != std::errc() || ptr != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string encode_verdict(std::uint64_t node, const SharedVerdict& verdict) {
  return std::string(kTag) + " " + hex_number(node) + " " + (verdict.ok ? "1" : "0") + " " +
         to_hex(verdict.source) + " " + to_hex(verdict.user);
}

std::optional<NodeVerdict> decode_verdict(std::string_view payload) {
  const auto fields = fields_of(payload);
  if (fields.size() != 5 || fields[0] != kTag || (fields[2] != "0" && fields[2] != "1")) {
    return std::nullopt;
  }
  const auto node = number_of(fields[1]);
  if (!node) {
    return std::nullopt;
  }
  NodeVerdict out;
  out.node = *node;
  auto source = bytes_of(fields[3]);
  auto user = bytes_of(fields[4]);
  if (!source || !user || source->empty()) {
    return std::nullopt;
  }
  out.verdict = {std::move(*source), std::move(*user), fields[2] == "1"};
  return out;
}

std::string encode_barrier(const Barrier& barrier) {
  return std::string(kBarrierTag) + " " + hex_number(barrier.node) + " " + hex_number(barrier.seq);
}

std::optional<Barrier> decode_barrier(std::string_view payload) {
  const auto fields = fields_of(payload);
  if (fields.size() != 3 || fields[0] != kBarrierTag) {
    return std::nullopt;
  }
  const auto node = number_of(fields[1]);
  const auto seq = number_of(fields[2]);
  if (!node || !seq) {
    return std::nullopt;
  }
  return Barrier{*node, *seq};
}

}  // namespace sfs::auth
