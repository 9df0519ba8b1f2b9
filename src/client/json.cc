#include "client/json.h"

#include <fmt/format.h>

#include "protocol/path.h"

namespace sfs::client {
namespace {

// Length of the valid UTF-8 sequence at the start of `text`, 0 if none.
std::size_t valid_sequence(std::string_view text) {
  for (std::size_t length = 1; length <= 4 && length <= text.size(); ++length) {
    if (protocol::is_valid_utf8(text.substr(0, length))) {
      return length;
    }
  }
  return 0;
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (const std::size_t n = valid_sequence(text.substr(i)); n > 0) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    } else {
      out += "\\ufffd";
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string entry_json(const protocol::Entry& entry, std::string_view path) {
  return fmt::format(R"({{"path":{},"name":{},"type":"{}","size":{},"mtime":{},"digest":{}}})",
                     json_string(path), json_string(entry.name),
                     entry.type == 'd' ? "directory" : "file", entry.size, entry.mtime,
                     entry.digest.empty() ? std::string("null") : json_string(entry.digest));
}

}  // namespace sfs::client
