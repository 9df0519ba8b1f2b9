#pragma once
// errno_error(): the one way a failed system call becomes an Error.
//
//   if (::chdir(dir.c_str()) != 0) {
//     return errno_error(Errc::kLocal, dir, errno);  // "DIR: No such file or directory"
//   }
//
// Modules that sort errno values into classes (storage: ENOENT is kNotFound,
// ENOSPC "storage is full") do that first and use this for the rest.

#include <string>
#include <string_view>
#include <system_error>

#include "base/result.h"

namespace sfs {

// The text of errno value `err` ("Permission denied"). Unlike strerror(),
// safe on any thread (generic_category() keeps no shared buffer).
inline std::string errno_text(int err) { return std::generic_category().message(err); }

// An Error of class `code` reading "WHAT: REASON", REASON being the text of
// errno value `err` ("Permission denied"). Pass errno saved right after the
// call that failed: building `what` may change it.
inline Error errno_error(Errc code, std::string_view what, int err) {
  return make_error(code, std::string(what) + ": " + errno_text(err));
}

}  // namespace sfs
