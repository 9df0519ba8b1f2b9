#include "client/view_format.h"

#include <cstdio>

namespace sfs::client {
namespace {

constexpr std::size_t kBytesPerLine = 16;

bool is_control(char32_t c) {
  return (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || (c >= 0x7F && c < 0xA0);
}

// Length of the UTF-8 sequence starting at data[i], 0 when it is invalid,
// or -1 when it is valid so far but cut off by the end of data. The code
// point goes to `cp`.
int utf8_sequence(std::string_view data, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(data[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  int length = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  for (int k = 1; k < length; ++k) {
    if (i + k >= data.size()) {
      return -1;
    }
    const auto b = static_cast<unsigned char>(data[i + k]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
    // Reject overlongs, surrogates and values past U+10FFFF as soon as the
    // second byte fixes them, so a cut-off sequence is judged fairly too.
    if (k == 1 && length > 2) {
      const char32_t top = cp << (6 * (length - 2));
      if (top < min || (top >= 0xD800 && top <= 0xDFFF) || top > 0x10FFFF) {
        return 0;
      }
    }
  }
  return (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) ? 0 : length;
}

}  // namespace

bool looks_like_text(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size()) {
    char32_t cp = 0;
    const int length = utf8_sequence(data, i, cp);
    if (length == -1) {
      return true;  // a character cut off by the end of the preview
    }
    if (length == 0 || is_control(cp)) {
      return false;
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

std::string hex_dump(std::string_view data, std::uint64_t offset) {
  std::string out;
  out.reserve((data.size() / kBytesPerLine + 1) * 80);
  char buf[32];
  for (std::size_t line = 0; line < data.size(); line += kBytesPerLine) {
    std::snprintf(buf, sizeof(buf), "%08llx:", static_cast<unsigned long long>(offset) + line);
    out += buf;
    const std::size_t n = std::min(kBytesPerLine, data.size() - line);
    for (std::size_t k = 0; k < kBytesPerLine; ++k) {
      if (k % 2 == 0) {
        out.push_back(' ');
      }
      if (k < n) {
        std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(data[line + k]));
        out += buf;
      } else {
        out += "  ";
      }
    }
    out += "  ";
    for (std::size_t k = 0; k < n; ++k) {
      const char c = data[line + k];
      out.push_back(c >= 0x20 && c <= 0x7E ? c : '.');
    }
    out.push_back('\n');
  }
  return out;
}

std::string TerminalView::feed(std::string_view chunk) {
  if (!binary_) {
    pending_.append(chunk);
    if (pending_.size() < kSniffBytes) {
      return {};
    }
    binary_ = !looks_like_text(pending_);
    std::string sniffed = std::move(pending_);
    pending_.clear();
    return emit(sniffed);
  }
  return emit(chunk);
}

std::string TerminalView::finish() {
  std::string out;
  if (!binary_) {
    binary_ = !looks_like_text(pending_);
    std::string sniffed = std::move(pending_);
    pending_.clear();
    out = emit(sniffed);
  }
  if (*binary_) {
    out += hex_dump(pending_, offset_);
    offset_ += pending_.size();
    pending_.clear();
  } else if (last_ != '\n') {
    out.push_back('\n');
    last_ = '\n';
  }
  return out;
}

std::string TerminalView::emit(std::string_view chunk) {
  if (chunk.empty()) {
    return {};
  }
  if (!*binary_) {
    std::string text(chunk);
    for (char& c : text) {
      if (is_control(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) {
        c = '.';
      }
    }
    last_ = text.back();
    return text;
  }
  pending_.append(chunk);
  const std::size_t whole = pending_.size() - pending_.size() % kBytesPerLine;
  std::string out = hex_dump(std::string_view(pending_).substr(0, whole), offset_);
  offset_ += whole;
  pending_.erase(0, whole);
  return out;
}

}  // namespace sfs::client
