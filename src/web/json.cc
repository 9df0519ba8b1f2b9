#include "web/json.h"

#include <cstdint>

namespace sfs::web {
namespace {

// The length of the valid UTF-8 sequence at the start of `s` (not empty),
// or 0: overlong forms, surrogates and code points past U+10FFFF are not.
std::size_t utf8_length(std::string_view s) {
  struct Lead {
    unsigned char first, last;  // the lead byte's range
    std::size_t length;
    std::uint32_t min;  // the smallest code point of that length
    unsigned char mask;
  };
  static constexpr Lead kLeads[] = {
      {0xC2, 0xDF, 2, 0x80, 0x1F}, {0xE0, 0xEF, 3, 0x800, 0x0F}, {0xF0, 0xF4, 4, 0x10000, 0x07}};
  const auto b0 = static_cast<unsigned char>(s[0]);
  for (const Lead& lead : kLeads) {
    if (b0 < lead.first || b0 > lead.last) {
      continue;
    }
    if (s.size() < lead.length) {
      return 0;
    }
    std::uint32_t cp = b0 & lead.mask;
    for (std::size_t i = 1; i < lead.length; ++i) {
      const auto b = static_cast<unsigned char>(s[i]);
      if ((b & 0xC0) != 0x80) {
        return 0;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    return cp < lead.min || cp > 0x10FFFF || surrogate ? 0 : lead.length;
  }
  return 0;
}

void escape_byte(std::string& out, unsigned char c) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\u00";
  out.push_back(kDigits[c >> 4]);
  out.push_back(kDigits[c & 0xF]);
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text[0]);
    std::size_t take = 1;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
      escape_byte(out, c);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (const std::size_t n = utf8_length(text); n > 0) {
      out.append(text.substr(0, n));
      take = n;
    } else {
      out += "\\ufffd";
    }
    text.remove_prefix(take);
  }
  out.push_back('"');
  return out;
}

}  // namespace sfs::web
