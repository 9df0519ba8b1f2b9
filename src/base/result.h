#pragma once
// Result<T>: a value or an error (code + human-readable message).
//
// Used on every data path and across module boundaries instead of
// exceptions. Example:
//   Result<int> parse(std::string_view s);
//   auto r = parse("12");
//   if (!r) return r.error();
//   use(*r);

#include <cassert>
#include <string>
#include <utility>
#include <variant>

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

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
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
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{Errc::kInternal, {}};
  bool ok_ = true;
};

}  // namespace sfs
