#pragma once
// Result<T>: a value or an error (code + human-readable message).
//
// Used on every data path and across module boundaries instead of
// exceptions. Example:
//   Result<int> parse(std::string_view s);
//   auto r = parse("12");
//   if (!r) return r.error();
//   use(*r);
//
// Or with the helpers below:
//   SFS_ASSIGN_OR_RETURN(int n, parse("12"));      // CO_ in coroutines
//   SFS_RETURN_IF_ERROR(check(n));
//
// Reading the value of an error, or the error of a value, is a broken
// invariant: it aborts in every build type (SFS_CHECK), never throws.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/check.h"

namespace sfs {

// Error classes. Each maps to a wire code (protocol/reply.h) and to a client
// exit status (client/exit_codes.h), so keep the list short and stable.
enum class Errc {
  kBadRequest,  // unknown command, wrong arguments
  kBadPath,     // path breaks the rules or leads through a symlink
  kNotFound,    // no such file
  kIsDir,       // a directory where a file was expected
  kNotDir,      // a file where a directory was expected
  kExists,      // the name is taken (MKDIR without parents)
  kNotEmpty,    // RMDIR of a directory that holds something
  kTooLarge,    // a size limit was exceeded
  kAuth,        // login failed or required
  kIo,          // storage read/write failed
  kAborted,     // peer aborted a transfer
  kProtocol,    // malformed framing: the connection cannot continue
  kNetwork,     // connection lost, timeout, TLS failure
  kTrust,       // server identity could not be verified
  kLocal,       // local (client side) file error
  kIntegrity,   // data does not match its digest
  kInternal,    // broken invariant that was caught
};

struct Error {
  Errc code;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

// How a kIo error says that the store behind the server (S3) is away for
// now, not that the data is bad: a transfer cut by it is worth keeping for
// a later try (docs/protocol.md). Written by the S3 client, read on both
// sides of the wire.
inline constexpr std::string_view kStorageUnavailable = "storage unavailable";
inline bool is_storage_unavailable(const Error& error) {
  return error.code == Errc::kIo && error.message.starts_with(kStorageUnavailable);
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    SFS_CHECK(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    SFS_CHECK(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    SFS_CHECK(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    SFS_CHECK(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    SFS_CHECK(!ok_);
    return error_;
  }

 private:
  Error error_{Errc::kInternal, {}};
  bool ok_ = true;
};

}  // namespace sfs

// Returns the error of `expr` (a Result<T>) from the enclosing function.
#define SFS_RETURN_IF_ERROR(expr)                  \
  do {                                             \
    if (auto sfs_status_ = (expr); !sfs_status_) { \
      return sfs_status_.error();                  \
    }                                              \
  } while (false)

// The same inside a coroutine (co_return). `expr` may contain co_await.
#define SFS_CO_RETURN_IF_ERROR(expr)               \
  do {                                             \
    if (auto sfs_status_ = (expr); !sfs_status_) { \
      co_return sfs_status_.error();               \
    }                                              \
  } while (false)

#define SFS_RESULT_CONCAT_INNER(a, b) a##b
#define SFS_RESULT_CONCAT(a, b) SFS_RESULT_CONCAT_INNER(a, b)

// Declares `lhs` from the value of `expr`, or returns its error.
//   SFS_ASSIGN_OR_RETURN(auto file, tree.open_read(path));
#define SFS_ASSIGN_OR_RETURN(lhs, expr) \
  SFS_ASSIGN_OR_RETURN_IMPL(SFS_RESULT_CONCAT(sfs_result_, __LINE__), lhs, expr, return )
#define SFS_CO_ASSIGN_OR_RETURN(lhs, expr) \
  SFS_ASSIGN_OR_RETURN_IMPL(SFS_RESULT_CONCAT(sfs_result_, __LINE__), lhs, expr, co_return )
// `lhs` is a declaration and `tmp` a generated name: neither can take the
// parentheses clang-tidy asks macro arguments to have.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SFS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                   \
  if (!tmp) {                                          \
    ret tmp.error();                                   \
  }                                                    \
  lhs = std::move(*tmp)
// NOLINTEND(bugprone-macro-parentheses)
