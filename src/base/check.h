#pragma once
// SFS_CHECK(condition): an invariant that must hold in every build type.
// A broken one is a bug, not bad input: it logs where and aborts, so it
// cannot be caught, ignored or compiled out (unlike assert under NDEBUG).
// Bad input from the network gets an error reply instead, never a check.
//
//   SFS_CHECK(offset <= size);

#include <cstdio>
#include <cstdlib>

namespace sfs::detail {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  (void)std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
  std::abort();
}

}  // namespace sfs::detail

#define SFS_CHECK(condition)                                       \
  do {                                                             \
    if (!(condition)) [[unlikely]] {                               \
      ::sfs::detail::check_failed(#condition, __FILE__, __LINE__); \
    }                                                              \
  } while (false)
