#pragma once
// The server's hidden files in a user's tree (storage-internal): temp files
// of running uploads (.sfs-tmp-*) and partial uploads kept for a resume
// (.sfs-part-*). An upload holds its file locked (flock) while it runs.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sfs::storage {

inline constexpr char kTempPrefix[] = ".sfs-tmp-";
inline constexpr char kPartialPrefix[] = ".sfs-part-";

// True for the name of a temp or partial upload file.
bool is_upload_debris_name(std::string_view name);

// Removes the temp or partial file `name` in `dir_fd` when no upload holds
// it: a temp file always, a partial one once untouched for `ttl`. Returns
// the size of the file it removed; nullopt when it removed nothing (other
// names, files in use, partials younger than `ttl`).
std::optional<std::uint64_t> remove_if_stale(int dir_fd, const char* name,
                                             std::chrono::seconds ttl);

// The size of the temp or partial file `name` in `dir_fd` when no upload
// holds it (kept for a resume, or left by a killed server); nullopt while
// an upload writes it, or for anything else.
std::optional<std::uint64_t> idle_upload_file_size(int dir_fd, const char* name);

}  // namespace sfs::storage
