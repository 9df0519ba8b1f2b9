#pragma once
// The user database: the auth file (`id_passwd.txt`) in memory.
//
// One entry a line, `name:secret`. The secret is either a legacy plaintext
// password or a libsodium Argon2id string (`$argon2id$...`). Blank lines and
// lines starting with '#' are ignored.
//
//   auto db = UserDb::load("id_passwd.txt");   // error names file and line
//   if (db->verify("alice", password)) ...

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

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

  // True when `user`'s stored Argon2id hash was made with other costs than
  // hash_password uses now (it should be hashed again at the next login).
  bool needs_rehash(std::string_view user) const;
  // Replaces `user`'s secret by a new Argon2id hash (after a rehash).
  void replace_hash(std::string_view user, const std::string& argon2);

  std::size_t size() const { return users_.size(); }
  std::size_t plaintext_count() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Secret {
    bool hashed = false;
    std::string argon2;  // when hashed
    Digest digest{};     // keyed digest of the plaintext otherwise
  };

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
  bool matches(const Secret& secret, std::string_view password) const;
  bool recently_verified(std::string_view user, const Secret& secret,
                         std::string_view password) const;
  void remember_verified(std::string_view user, const Secret& secret,
                         std::string_view password) const;

  std::array<unsigned char, 32> key_{};  // per-process key for digests
  // Checked for unknown users; its Argon2id hash (of random bytes, at
  // today's cost) is also verified before any plaintext comparison.
  Secret dummy_;
  std::map<std::string, Secret, std::less<>> users_;
  std::chrono::seconds verified_ttl_{0};
  // At most one entry per known user.
  mutable std::map<std::string, Verified, std::less<>> verified_;
  // Guards users_ and verified_; never held while hashing.
  mutable std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
  std::unique_ptr<std::atomic<std::uint64_t>> argon2_checks_ =
      std::make_unique<std::atomic<std::uint64_t>>(0);
};

}  // namespace sfs::auth
