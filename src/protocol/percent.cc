#include "protocol/percent.h"

#include "base/hex.h"

namespace sfs::protocol {
namespace {

bool is_plain(unsigned char c) { return c >= 0x21 && c <= 0x7E && c != '%'; }

}  // namespace

std::string percent_encode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_plain(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

Result<std::string> percent_decode(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c == '%') {
      if (i + 2 >= field.size()) {
        return make_error(Errc::kBadRequest, "truncated percent escape");
      }
      const int hi = hex_digit_value(field[i + 1]);
      const int lo = hex_digit_value(field[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(Errc::kBadRequest, "invalid percent escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (is_plain(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      return make_error(Errc::kBadRequest, "unescaped byte in field");
    }
  }
  return out;
}

}  // namespace sfs::protocol
