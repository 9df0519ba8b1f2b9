#include "config/toml_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <fstream>

#include "base/errno_error.h"

namespace sfs::config {

namespace {

Error bad(std::string message) { return make_error(Errc::kBadRequest, std::move(message)); }

// Reads at most kMaxConfigBytes + 1 bytes, so an oversized file is noticed
// without being read whole.
Result<std::string> read_capped(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return bad(file.string() + ": cannot read: is a directory");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return errno_error(Errc::kBadRequest, file.string() + ": cannot read", errno);
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    return bad(file.string() + ": cannot read");
  }
  if (text.size() > kMaxConfigBytes) {
    return bad(file.string() + ": larger than 1 MiB, not a settings file");
  }
  return text;
}

}  // namespace

Result<toml::table> read_toml(const std::filesystem::path& file) {
  SFS_ASSIGN_OR_RETURN(auto text, read_capped(file));
  // toml++ as Debian builds it reports syntax errors by exception; this is
  // start-up code, and the exception ends here as an error value.
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return bad(
        fmt::format("{}:{}:{}: {}", file.string(), where.line, where.column, e.description()));
  }
}

Error key_error(const std::filesystem::path& file, const toml::key& key, std::string_view problem) {
  return bad(
      fmt::format("{}:{}: {}: {}", file.string(), key.source().begin.line, key.str(), problem));
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04X}", byte);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

Result<std::uint64_t> integer_in(const toml::node& node, std::uint64_t min, std::uint64_t max,
                                 std::string_view unit) {
  const auto* integer = node.as_integer();
  if (integer == nullptr) {
    return bad(fmt::format("expected an integer, got {}", type_name(node)));
  }
  const std::int64_t value = integer->get();
  if (value < 0 || static_cast<std::uint64_t>(value) < min ||
      static_cast<std::uint64_t>(value) > max) {
    return bad(fmt::format("must be between {} and {}{}{} (got {})", min, max,
                           unit.empty() ? "" : " ", unit, value));
  }
  return static_cast<std::uint64_t>(value);
}

}  // namespace sfs::config
