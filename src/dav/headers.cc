#include "dav/headers.h"

#include <algorithm>
#include <cctype>

#include "base/hex.h"

namespace sfs::dav {
namespace {

std::string_view trim(std::string_view s) {
  auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) {
    return {};
  }
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The length of the UTF-8 sequence starting at s[i], or 0 if it is not a
// well-formed one (overlongs, surrogates and values past U+10FFFF included).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t n = c < 0x80                   ? 1
                  : (c >= 0xC2 && c <= 0xDF) ? 2
                  : (c >= 0xE0 && c <= 0xEF) ? 3
                  : (c >= 0xF0 && c <= 0xF4) ? 4
                                             : 0;
  if (n == 0 || i + n > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) {
      return 0;
    }
  }
  if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F) || (c == 0xF0 && b(1) < 0x90) ||
      (c == 0xF4 && b(1) > 0x8F)) {
    return 0;
  }
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

bool has_bad_byte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool is_scheme(std::string_view s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) != 0 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' ||
                  c == '.';
         });
}

}  // namespace

Result<Depth> parse_depth(std::string_view value, Depth absent) {
  std::string v = lower(trim(value));
  if (v.empty()) {
    return absent;
  }
  if (v == "0") {
    return Depth::kZero;
  }
  if (v == "1") {
    return Depth::kOne;
  }
  if (v == "infinity") {
    return Depth::kInfinity;
  }
  return make_error(Errc::kBadRequest, "Depth: expected 0, 1 or infinity");
}

Result<bool> parse_overwrite(std::string_view value) {
  std::string_view v = trim(value);
  if (v.empty() || v == "T" || v == "t") {
    return true;
  }
  if (v == "F" || v == "f") {
    return false;
  }
  return make_error(Errc::kBadRequest, "Overwrite: expected T or F");
}

Result<Destination> parse_destination(std::string_view value) {
  value = trim(value);
  if (value.empty() || value.size() > kMaxUrlBytes || has_bad_byte(value)) {
    return make_error(Errc::kBadRequest, "Destination: empty, too long or with a bad byte");
  }
  value = value.substr(0, value.find_first_of("?#"));
  Destination d;
  if (auto sep = value.find("://"); sep != std::string_view::npos && !value.starts_with('/')) {
    if (!is_scheme(value.substr(0, sep))) {
      return make_error(Errc::kBadRequest, "Destination: bad scheme");
    }
    d.scheme = lower(value.substr(0, sep));
    value.remove_prefix(sep + 3);
    auto slash = value.find('/');
    d.authority = lower(value.substr(0, slash));
    if (d.authority.empty() || d.authority.find('@') != std::string::npos) {
      return make_error(Errc::kBadRequest, "Destination: bad host");
    }
    value = slash == std::string_view::npos ? std::string_view("/") : value.substr(slash);
  }
  if (!value.starts_with('/')) {
    return make_error(Errc::kBadRequest, "Destination: neither an absolute URL nor a path");
  }
  d.path = std::string(value);
  return d;
}

Result<std::string> percent_decode_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    int hi = i + 2 < path.size() ? hex_digit_value(path[i + 1]) : -1;
    int lo = hi >= 0 ? hex_digit_value(path[i + 2]) : -1;
    if (lo < 0) {
      return make_error(Errc::kBadPath, "URL path: a malformed %-escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (out.find('\0') != std::string::npos || !valid_utf8(out)) {
    return make_error(Errc::kBadPath, "URL path: a NUL byte or invalid UTF-8");
  }
  return out;
}

std::string percent_encode_path(std::string_view path) {
  static constexpr std::string_view kKeep = "-._~/!$&'()*+,;=:@";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    bool alnum = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
    if (alnum || kKeep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace sfs::dav
