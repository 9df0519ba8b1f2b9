#include "protocol/path.h"

#include "protocol/limits.h"

namespace sfs::protocol {
namespace {

Result<void> refuse(const char* why) { return make_error(Errc::kBadPath, why); }

Result<void> validate_component(std::string_view name) {
  if (name.empty()) {
    return refuse("empty path component");
  }
  if (name.size() > kMaxNameBytes) {
    return refuse("path component too long");
  }
  if (name == "." || name == "..") {
    return refuse("'.' and '..' are not allowed");
  }
  if (name.starts_with(kReservedPrefix)) {
    return refuse("names starting with .sfs- are reserved");
  }
  return {};
}

// Length of the UTF-8 sequence led by `c`, or 0 when `c` cannot lead one.
int sequence_length(unsigned char c) {
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    return 4;
  }
  return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int len = sequence_length(lead);
    if (len == 0 || i + len > text.size()) {
      return false;
    }
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    const auto second = static_cast<unsigned char>(len > 1 ? text[i + 1] : 0);
    if ((lead == 0xE0 && second < 0xA0) ||  // overlong 3-byte
        (lead == 0xED && second > 0x9F) ||  // UTF-16 surrogates
        (lead == 0xF0 && second < 0x90) ||  // overlong 4-byte
        (lead == 0xF4 && second > 0x8F)) {  // beyond U+10FFFF
      return false;
    }
    i += len;
  }
  return true;
}

Result<void> validate_remote_path(std::string_view path) {
  if (path.empty()) {
    return refuse("empty path");
  }
  if (path.size() > kMaxPathBytes) {
    return refuse("path too long");
  }
  if (path.front() == '/') {
    return refuse("absolute paths are not allowed");
  }
  if (path.find('\0') != std::string_view::npos) {
    return refuse("NUL byte in path");
  }
  if (!is_valid_utf8(path)) {
    return refuse("path is not valid UTF-8");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view name = path.substr(start, slash - start);
    if (auto ok = validate_component(name); !ok) {
      return ok;
    }
    if (slash == std::string_view::npos) {
      return {};
    }
    start = slash + 1;
  }
}

}  // namespace sfs::protocol
