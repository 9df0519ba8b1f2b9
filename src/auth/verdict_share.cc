#include "auth/verdict_share.h"

#include <charconv>
#include <vector>

#include "base/hex.h"

namespace sfs::auth {
namespace {

constexpr std::string_view kBeginTag = "a1";
constexpr std::string_view kEndTag = "e1";
// The most fields a message has; one more is read to see that there is none.
constexpr std::size_t kMaxFields = 6;

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

// Split at every space: n spaces, n + 1 fields (empty ones too), at most
// kMaxFields + 1.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() <= kMaxFields) {
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

// 1 to 16 hex digits, nothing else.
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

// R of an end message into `ok`; false when it is none of 1, 0 and -.
bool read_result(std::string_view field, std::optional<bool>& ok) {
  if (field == "1" || field == "0") {
    ok = field == "1";
    return true;
  }
  ok.reset();
  return field == "-";
}

}  // namespace

std::string encode_attempt(const AttemptMessage& message) {
  std::string out = std::string(message.ended ? kEndTag : kBeginTag) + " " +
                    hex_number(message.node) + " " + hex_number(message.seq) + " ";
  if (message.ended) {
    out += !message.ok ? "- " : *message.ok ? "1 " : "0 ";
  }
  return out + to_hex(message.key.source) + " " + to_hex(message.key.user);
}

std::optional<AttemptMessage> decode_attempt(std::string_view payload) {
  const auto fields = fields_of(payload);
  AttemptMessage out;
  std::size_t next = 3;  // the first field after the tag, NODE and SEQ
  if (fields.size() == 5 && fields[0] == kBeginTag) {
    out.ended = false;
  } else if (fields.size() == 6 && fields[0] == kEndTag) {
    out.ended = true;
    if (!read_result(fields[3], out.ok)) {
      return std::nullopt;
    }
    next = 4;
  } else {
    return std::nullopt;
  }
  const auto node = number_of(fields[1]);
  const auto seq = number_of(fields[2]);
  auto source = bytes_of(fields[next]);
  auto user = bytes_of(fields[next + 1]);
  if (!node || !seq || !source || !user || source->empty()) {
    return std::nullopt;
  }
  out.node = *node;
  out.seq = *seq;
  out.key = {std::move(*source), std::move(*user)};
  return out;
}

}  // namespace sfs::auth
