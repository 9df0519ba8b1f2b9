#include "base/errno_error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace sfs {
namespace {

TEST(ErrnoError, NamesWhatAndTheReason) {
  const Error e = errno_error(Errc::kLocal, "notes.txt", ENOENT);
  EXPECT_EQ(e.code, Errc::kLocal);
  EXPECT_EQ(e.message, "notes.txt: No such file or directory");
}

TEST(ErrnoError, KeepsTheClassItIsGiven) {
  EXPECT_EQ(errno_error(Errc::kIo, "cannot write x", EACCES).message,
            "cannot write x: Permission denied");
  EXPECT_EQ(errno_error(Errc::kInternal, "setuid", EPERM).code, Errc::kInternal);
}

TEST(ErrnoError, UnknownValuesStillSaySomething) {
  const Error e = errno_error(Errc::kIo, "f", 99999);
  EXPECT_EQ(e.message.rfind("f: ", 0), 0U);
  EXPECT_GT(e.message.size(), 3U);
}

}  // namespace
}  // namespace sfs
