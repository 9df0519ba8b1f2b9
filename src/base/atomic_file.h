#pragma once
// Atomic, durable replacement of a file: write a temporary file beside it,
// fsync it, rename it over the target, fsync the directory. A reader (or a
// restart after a crash) finds the old content or the new, never a mix or
// an empty file. The one copy of this sequence for files named by path (the
// auth file, the client's downloads); the storage backend does the same
// relative to its directory descriptors.
//
//   SFS_RETURN_IF_ERROR(replace_file("id_passwd.txt", text, 0600, Errc::kIo));

#include <sys/types.h>

#include <filesystem>
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

// Writes `content` to a new temporary file beside `target` (created
// exclusively with `mode`, so it is never readable by more than `mode`
// allows) and commits it as above. Fails (class `code`) with "cannot create
// TEMP: REASON" or "cannot write TARGET: REASON"; the temporary file is
// then removed and `target` is unchanged.
Result<void> replace_file(const std::filesystem::path& target, std::string_view content,
                          mode_t mode, Errc code);

}  // namespace sfs
