#pragma once
// Atomic, durable replacement of a file: write a temporary file beside it,
// fsync it, rename it over the target, fsync the directory. A reader (or a
// restart after a crash) finds the old content or the new, never a mix or
// an empty file. The one copy of this sequence: for files named by path
// (the auth file, the client's downloads) and, relative to an open
// directory, for the storage backend's uploads.
//
//   SFS_RETURN_IF_ERROR(replace_file("id_passwd.txt", text, 0600, Errc::kIo));

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string_view>

#include "base/result.h"

namespace sfs {

// Makes `temp`, already written through `fd` and in the same directory as
// `target`, replace `target`: fsync(fd), rename(temp, target), then fsync
// of the directory. Fails (class `code`, "cannot write TARGET: REASON")
// when fsync or rename fails; `temp` then stays, for the caller to remove
// or keep. `fd` stays open.
Result<void> commit_replacement(int fd, const std::filesystem::path& temp,
                                const std::filesystem::path& target, Errc code);

// How a replacement outlives a crash. kDurable: committed as above. kCache:
// renamed without an fsync, so readers see the old file or the new one whole,
// but after a crash the file may be empty or cut short: only for a cache
// whose reader rejects what is damaged.
enum class Durability { kDurable, kCache };

// Writes `content` to a new temporary file beside `target` (created
// exclusively with `mode`, so it is never readable by more than `mode`
// allows) and commits it as `durability` says. Fails (class `code`) with
// "cannot create TEMP: REASON" or "cannot write TARGET: REASON"; the
// temporary file is then removed and `target` is unchanged.
Result<void> replace_file(const std::filesystem::path& target, std::string_view content,
                          mode_t mode, Errc code, Durability durability = Durability::kDurable);

// commit_replacement for names in the open directory `dir_fd` (the storage
// backend holds its directories open; names may not leave them): fsync(fd),
// `before_rename()` (the last moment to see what `target` holds before it
// is replaced; the upload counts it), renameat, then fsync(dir_fd). When
// fsync or rename fails, returns error_of(errno) and `temp` stays.
Result<void> commit_replacement_at(int fd, int dir_fd, const char* temp, const char* target,
                                   const std::function<Error(int err)>& error_of,
                                   const std::function<void()>& before_rename = {});

}  // namespace sfs
