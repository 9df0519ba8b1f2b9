#pragma once
// The user database: the auth file (`id_passwd.txt`) in memory.
//
// One entry a line, `name:secret`. The secret is either a legacy plaintext
// password or a libsodium Argon2id string (`$argon2id$...`). Blank lines and
// lines starting with '#' are ignored.
//
//   auto db = UserDb::load("id_passwd.txt");   // error names file and line
//   if (db->verify("alice", password)) ...
//   auto changes = db->reload(*AuthFile::load("id_passwd.txt"));  // while verifying
//
// Thread-safe: verify() may run on many threads while reload() replaces the
// users.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_file.h"
#include "base/result.h"

namespace sfs::auth {

class UserDb {
 public:
  // kNotFound when the file is missing, kBadRequest ("FILE:LINE: why") when
  // it is malformed, kIo when it cannot be read.
  static Result<UserDb> load(const std::filesystem::path& file);
  // Same, from text; `source` names it in error messages.
  static Result<UserDb> parse(std::string_view text, std::string_view source);
  static Result<UserDb> from_file(const AuthFile& file);
  // The users of a UserStore's snapshot (auth/user_store.h).
  static Result<UserDb> from_entries(const std::vector<Entry>& entries);

  // How a password was checked: by an Argon2id verification (a hashed
  // line's own, or for a legacy plaintext line and an unknown user the
  // dummy's, followed by a constant-time comparison), or by the digest of
  // a password verified less than the TTL ago.
  enum class Method { kArgon2id, kCache };
  struct Verdict {
    bool ok = false;
    Method method = Method::kArgon2id;
  };

  // ok only for a known user with the right password. Takes the same time
  // whether the user exists or not and whether the line is hashed or
  // plaintext: every full check runs one Argon2id verification (so timing
  // tells nobody which users still have plaintext lines), and compares in
  // constant time. With a verified-login TTL, the right password of a user
  // accepted less than TTL ago is recognized by its keyed digest instead of
  // another Argon2id run; anything else gets the full check.
  Verdict check(std::string_view user, std::string_view password) const;
  bool verify(std::string_view user, std::string_view password) const {
    return check(user, password).ok;
  }

  // How long a password Argon2id accepted is recognized without Argon2id
  // (0, the default: never). Memory only; see docs/security.md.
  void set_verified_ttl(std::chrono::seconds ttl) { verified_ttl_ = ttl; }
  // How many Argon2id verifications check() has run (for logs and tests).
  std::uint64_t argon2_checks() const { return argon2_checks_->load(); }

  // Which password `user` has: a number that changes whenever the auth file
  // gives the user another password (or removes the user), and stays the
  // same across this server's rehash of it. 0 for an unknown user. A login
  // that reads it before verify() and again once the session is listed
  // knows whether a reload came in between.
  std::uint64_t version(std::string_view user) const;

  // True when `user`'s stored Argon2id hash was made with other costs than
  // hash_password uses now (it should be hashed again at the next login).
  bool needs_rehash(std::string_view user) const;
  // After a rehash: if `user` still has the password of `version`, replaces
  // its Argon2id hash by `argon2` (the same password at today's costs) and
  // returns the hash it replaced. nullopt when the password changed
  // meanwhile (the new hash is then of an old password: dropped).
  std::optional<std::string> replace_hash(std::string_view user, std::uint64_t version,
                                          const std::string& argon2);

  // What a reload did, by user name (each list sorted).
  struct Changes {
    std::size_t users = 0;  // after the reload
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> changed;  // another password (not this server's rehash)
  };
  // Takes the users of `file` in place of the current ones. A user whose
  // secret is the same, or is the hash this server's rehash replaced, keeps
  // its version and its login-cache entry; removed and changed users lose
  // theirs.
  Result<Changes> reload(const AuthFile& file);
  Result<Changes> reload(const std::vector<Entry>& entries);

  std::size_t size() const;
  std::size_t plaintext_count() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Secret {
    bool hashed = false;
    std::string argon2;  // when hashed
    Digest digest{};     // keyed digest of the plaintext otherwise
    std::uint64_t version = 0;
    // The hash this server's rehash replaced (the same password), so that a
    // reload reading it back (a rehash not saved) is no password change.
    std::string rehashed_from;
  };
  using Users = std::map<std::string, Secret, std::less<>>;

  // A password a full check accepted: its keyed digest, the secret it
  // matched (a replaced hash voids it) and until when it counts.
  struct Verified {
    Digest digest{};
    std::string argon2;  // empty for a plaintext line
    Digest plaintext{};  // the plaintext line's digest otherwise
    std::chrono::steady_clock::time_point until;
  };

  UserDb();
  Digest digest_of(std::string_view password) const;
  Secret secret_of(const Entry& entry) const;
  static bool same_password(const Secret& held, const Secret& read);
  // The dummy unknown users are checked against, an Argon2id hash at
  // today's cost, so they and plaintext lines cost what hashed users do.
  static Result<Secret> make_dummy();
  bool matches(const Secret& secret, std::string_view password) const;
  bool recently_verified(std::string_view user, const Secret& secret,
                         std::string_view password) const;
  void remember_verified(std::string_view user, const Secret& secret,
                         std::string_view password) const;

  std::array<unsigned char, 32> key_{};  // per-process key for digests
  // Checked for unknown users; its Argon2id hash (of random bytes, at
  // today's cost) is also verified before any plaintext comparison.
  Secret dummy_;
  Users users_;
  std::uint64_t last_version_ = 0;
  std::chrono::seconds verified_ttl_{0};
  // At most one entry per known user.
  mutable std::map<std::string, Verified, std::less<>> verified_;
  // Guards users_, dummy_, last_version_ and verified_; never held while
  // hashing.
  mutable std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
  std::unique_ptr<std::atomic<std::uint64_t>> argon2_checks_ =
      std::make_unique<std::atomic<std::uint64_t>>(0);
};

}  // namespace sfs::auth
