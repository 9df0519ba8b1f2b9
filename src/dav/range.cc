#include "dav/range.h"

#include <algorithm>
#include <optional>

namespace sfs::dav {
namespace {

// One range spec as sent: first-last, first- or -suffix.
struct Spec {
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> last;  // for a suffix: its length
};

std::string_view trim(std::string_view s) {
  auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) {
    return {};
  }
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

// Decimal digits only, up to 18 of them (no overflow, and no file is larger).
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 18) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::optional<Spec> parse_spec(std::string_view s) {
  s = trim(s);
  auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  Spec spec;
  std::string_view a = s.substr(0, dash);
  std::string_view b = s.substr(dash + 1);
  if (!a.empty() && !(spec.first = number(a))) {
    return std::nullopt;
  }
  if (!b.empty() && !(spec.last = number(b))) {
    return std::nullopt;
  }
  bool valid = spec.first ? (!spec.last || *spec.last >= *spec.first) : spec.last.has_value();
  return valid ? std::optional<Spec>(spec) : std::nullopt;
}

// The bytes a spec selects in an entity of `size` bytes; nullopt when none.
std::optional<ByteRange> resolve(const Spec& spec, std::uint64_t size) {
  if (!spec.first) {  // suffix: the last n bytes
    if (*spec.last == 0 || size == 0) {
      return std::nullopt;
    }
    std::uint64_t n = std::min(*spec.last, size);
    return ByteRange{size - n, n};
  }
  if (*spec.first >= size) {
    return std::nullopt;
  }
  std::uint64_t last = spec.last ? std::min(*spec.last, size - 1) : size - 1;
  return ByteRange{*spec.first, last - *spec.first + 1};
}

}  // namespace

RangeReply decide_range(std::string_view header, std::uint64_t size) {
  if (header.size() > kMaxRangeHeaderBytes) {
    return {};
  }
  header = trim(header);
  if (!header.starts_with("bytes=")) {
    return {};
  }
  header.remove_prefix(6);
  std::size_t specs = 0;
  std::optional<ByteRange> first_satisfiable;
  while (true) {
    auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    // Empty list elements are allowed (RFC 9110 5.6.1).
    if (!item.empty()) {
      auto spec = parse_spec(item);
      if (!spec) {
        return {};  // a bad Range is ignored, not an error
      }
      ++specs;
      auto range = resolve(*spec, size);
      if (range && !first_satisfiable) {
        first_satisfiable = range;
      }
    }
    if (comma == std::string_view::npos) {
      break;
    }
    header.remove_prefix(comma + 1);
  }
  if (specs == 0) {
    return {};
  }
  if (!first_satisfiable) {
    return RangeReply{RangeKind::kUnsatisfiable, {}};
  }
  if (specs > 1) {
    return RangeReply{RangeKind::kMultiple, {}};
  }
  return RangeReply{RangeKind::kPartial, *first_satisfiable};
}

std::string content_range(ByteRange range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" +
         std::to_string(range.first + range.length - 1) + "/" + std::to_string(size);
}

std::string unsatisfied_range(std::uint64_t size) { return "bytes */" + std::to_string(size); }

}  // namespace sfs::dav
