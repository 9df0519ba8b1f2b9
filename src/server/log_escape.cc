#include "server/log_escape.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace sfs::server {
namespace {

constexpr char kHex[] = "0123456789abcdef";

struct Range {
  char32_t first;
  char32_t last;
};

// Controls and the invisible or reordering format characters (the Unicode
// Cf category, line and paragraph separators, and the fillers and selectors
// that render as nothing).
// Plane 14 (U+E0000..) holds only the tag characters and variation
// selectors.
// clang-format off
constexpr std::array<Range, 27> kHidden{{
    {0x0000, 0x001F}, {0x007F, 0x009F}, {0x00AD, 0x00AD}, {0x034F, 0x034F},
    {0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD}, {0x070F, 0x070F},
    {0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x115F, 0x1160}, {0x17B4, 0x17B5},
    {0x180B, 0x180F}, {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x206F},
    {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0},
    {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
    {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
}};
// clang-format on

// Decodes the UTF-8 sequence at text[i]; advances i past it. nullopt (and i
// past one byte) for an invalid sequence: a stray continuation byte, a
// truncated or overlong sequence, a surrogate or a value past U+10FFFF.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    ++i;
    return std::nullopt;
  }
  if (i + static_cast<std::size_t>(extra) >= text.size()) {  // truncated
    ++i;
    return std::nullopt;
  }
  for (int k = 1; k <= extra; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++i;
    return std::nullopt;
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

void append_hex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += kHex[(value >> shift) & 0xF];
  }
}

void append_byte_escape(std::string& out, unsigned char byte) {
  out += "\\x";
  append_hex(out, byte, 2);
}

// Runs `on_code_point(cp, raw)` for each valid code point (raw: its bytes)
// and `on_invalid(byte)` for each byte that is not valid UTF-8.
template <typename OnCodePoint, typename OnInvalid>
void scan(std::string_view text, OnCodePoint on_code_point, OnInvalid on_invalid) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    if (const auto cp = next_code_point(text, i)) {
      on_code_point(*cp, text.substr(start, i - start));
    } else {
      on_invalid(static_cast<unsigned char>(text[start]));
    }
  }
}

}  // namespace

bool is_hidden_or_control(char32_t code_point) {
  if (code_point < 0x80) {  // most of every line: the table's first ranges, without the walk
    return code_point < 0x20 || code_point == 0x7F;
  }
  for (const Range& range : kHidden) {
    if (code_point >= range.first && code_point <= range.last) {
      return true;
    }
  }
  return false;
}

namespace {

// How many bytes at the start of `text` are printable ASCII other than a
// backslash and `also`: they stay as they are in both formats. A log line
// is mostly such bytes, copied at once (every request logs a line, and
// decoding each byte of it cost a small file's request 8% of the server's
// time).
std::size_t plain_prefix(std::string_view text, char also) {
  const auto plain = std::find_if(text.begin(), text.end(), [also](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte >= 0x7F || c == '\\' || c == also;
  });
  return static_cast<std::size_t>(plain - text.begin());
}

}  // namespace

std::string escape_for_text_log(std::string_view text) {
  const std::size_t plain = plain_prefix(text, '\\');
  std::string out(text.substr(0, plain));
  if (plain == text.size()) {
    return out;
  }
  out.reserve(text.size());
  text.remove_prefix(plain);
  scan(
      text,
      [&out](char32_t cp, std::string_view raw) {
        if (cp == '\\') {
          out += "\\\\";
        } else if (cp < 0x80 && is_hidden_or_control(cp)) {
          append_byte_escape(out, static_cast<unsigned char>(cp));
        } else if (is_hidden_or_control(cp)) {
          out += cp > 0xFFFF ? "\\U" : "\\u";
          append_hex(out, cp, cp > 0xFFFF ? 8 : 4);
        } else {
          out += raw;
        }
      },
      [&out](unsigned char byte) { append_byte_escape(out, byte); });
  return out;
}

std::string json_escape(std::string_view text) {
  const std::size_t plain = plain_prefix(text, '"');
  std::string out(text.substr(0, plain));
  if (plain == text.size()) {
    return out;
  }
  out.reserve(text.size());
  text.remove_prefix(plain);
  auto append_u = [&out](std::uint32_t unit) {
    out += "\\u";
    append_hex(out, unit, 4);
  };
  scan(
      text,
      [&](char32_t cp, std::string_view raw) {
        if (cp == '"' || cp == '\\') {
          out += '\\';
          out += static_cast<char>(cp);
        } else if (!is_hidden_or_control(cp)) {
          out += raw;
        } else if (cp <= 0xFFFF) {
          append_u(cp);
        } else {  // a surrogate pair, as JSON spells code points past U+FFFF
          const std::uint32_t v = cp - 0x10000;
          append_u(0xD800 + (v >> 10));
          append_u(0xDC00 + (v & 0x3FF));
        }
      },
      [&out](unsigned char byte) {
        out += "\\\\x";
        append_hex(out, byte, 2);
      });
  return out;
}

}  // namespace sfs::server
