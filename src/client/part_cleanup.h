#pragma once
// Leftovers of abandoned downloads: a download writes ".NAME.sfs-part"
// beside its target (client/local_file.h) and keeps it when cut, for a
// resume. One nobody resumed within a day is removed when the next
// download runs in that folder, so they do not pile up forever.
//
//   clean_stale_parts_once(dir, partial);   // before opening `partial`

#include <chrono>
#include <cstddef>
#include <filesystem>

namespace sfs::client {

// How old an untouched partial download must be to count as abandoned.
inline constexpr std::chrono::hours kStalePartAge{24};

// Removes the ".*.sfs-part" regular files of `dir` last modified more than
// `age` ago, except `keep` and those a running download holds (locked).
// Returns how many went; errors skip a file (a best-effort cleanup).
std::size_t remove_stale_parts(const std::filesystem::path& dir, const std::filesystem::path& keep,
                               std::chrono::seconds age);

// remove_stale_parts with kStalePartAge, once per folder in this process
// (a tree download has many files per folder), saying on stderr how many
// it removed.
void clean_stale_parts_once(const std::filesystem::path& dir, const std::filesystem::path& keep);

}  // namespace sfs::client
