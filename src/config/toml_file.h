#pragma once
// A small TOML settings file, read whole and parsed with toml++, and the
// one-line errors that name where in it a problem is. Shared by
// sfs-server --config and the client's profiles; the caller walks the table
// and decides what each key means.
//
//   auto table = sfs::config::read_toml("/etc/sfs/sfs-server.toml");
//   if (!table) { print(table.error().message); }  // "FILE:3:7: ..."
//   for (auto&& [key, node] : *table) { ... key_error(file, key, "unknown setting") ... }

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::config {

// A settings file is a few hundred bytes; anything far larger is a mistake.
inline constexpr std::size_t kMaxConfigBytes = 1U << 20;

// Reads and parses `file`. Fails (Errc::kBadRequest) with "FILE: cannot
// read: REASON", "FILE: larger than 1 MiB", or "FILE:LINE:COLUMN: the
// parser's description" for a syntax error (duplicate keys included).
Result<toml::table> read_toml(const std::filesystem::path& file);

// "FILE:LINE: KEY: PROBLEM", LINE taken from `key`'s place in the file.
Error key_error(const std::filesystem::path& file, const toml::key& key, std::string_view problem);

// "a string", "an integer", ...: what a node holds, for "expected X, got Y".
std::string_view type_name(const toml::node& node);

// `text` as a TOML basic string: quoted, with '"', '\' and control
// characters escaped, so printed settings read back unchanged.
std::string quote(std::string_view text);

// The value of an integer node, or a problem: "expected an integer, got a
// string" or "must be between MIN and MAX[ UNIT] (got VALUE)". TOML integers
// are signed 64-bit, so `max` above INT64_MAX is never reached.
Result<std::uint64_t> integer_in(const toml::node& node, std::uint64_t min, std::uint64_t max,
                                 std::string_view unit = {});

}  // namespace sfs::config
