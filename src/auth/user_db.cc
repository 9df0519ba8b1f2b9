#include "auth/user_db.h"

#include <sodium.h>

#include <cstdlib>

#include "auth/auth_file.h"
#include "auth/password_hash.h"

namespace sfs::auth {
UserDb::UserDb() {
  init_sodium();
  randombytes_buf(key_.data(), key_.size());
}

UserDb::Digest UserDb::digest_of(std::string_view password) const {
  Digest out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                     key_.data(), key_.size());
  return out;
}

bool UserDb::matches(const Secret& secret, std::string_view password) const {
  ++*argon2_checks_;
  if (secret.hashed) {
    return verify_password(secret.argon2, password);
  }
  // A legacy plaintext line costs what a hashed one does: the dummy's
  // Argon2id verification (it never matches; its cost is the point), then
  // a comparison of fixed-size keyed digests, whose time depends on
  // neither the stored nor the given password's content or length.
  (void)verify_password(dummy_.argon2, password);
  const Digest given = digest_of(password);
  return sodium_memcmp(given.data(), secret.digest.data(), given.size()) == 0;
}

UserDb::Verdict UserDb::check(std::string_view user, std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) {
    password = password.substr(0, kMaxPasswordBytes + 1);
  }
  Secret secret;
  bool known = false;
  {
    const std::lock_guard lock(*mutex_);
    const auto it = users_.find(user);
    known = it != users_.end();
    secret = known ? it->second : dummy_;
  }
  if (known && recently_verified(user, secret, password)) {
    return {true, Method::kCache};
  }
  const bool match = matches(secret, password);
  if (known && match) {
    remember_verified(user, secret, password);
  }
  return {known && match, Method::kArgon2id};
}

// Only the right password of a known user can take this shortcut: a wrong
// one, an unknown user and an expired entry all go on to Argon2id, so the
// shortcut tells a guesser nothing the "OK" would not.
bool UserDb::recently_verified(std::string_view user, const Secret& secret,
                               std::string_view password) const {
  if (verified_ttl_.count() == 0) {
    return false;
  }
  Verified entry;
  {
    const std::lock_guard lock(*mutex_);
    const auto it = verified_.find(user);
    if (it == verified_.end()) {
      return false;
    }
    entry = it->second;
  }
  const bool same_secret = entry.argon2 == secret.argon2 && entry.plaintext == secret.digest;
  if (!same_secret || std::chrono::steady_clock::now() >= entry.until) {
    return false;
  }
  const Digest given = digest_of(password);
  return sodium_memcmp(given.data(), entry.digest.data(), given.size()) == 0;
}

void UserDb::remember_verified(std::string_view user, const Secret& secret,
                               std::string_view password) const {
  if (verified_ttl_.count() == 0) {
    return;
  }
  Verified entry{digest_of(password), secret.hashed ? secret.argon2 : std::string(),
                 secret.hashed ? Digest{} : secret.digest,
                 std::chrono::steady_clock::now() + verified_ttl_};
  const std::lock_guard lock(*mutex_);
  verified_.insert_or_assign(std::string(user), std::move(entry));
}

bool UserDb::needs_rehash(std::string_view user) const {
  const std::lock_guard lock(*mutex_);
  const auto it = users_.find(user);
  return it != users_.end() && it->second.hashed && auth::needs_rehash(it->second.argon2);
}

void UserDb::replace_hash(std::string_view user, const std::string& argon2) {
  const std::lock_guard lock(*mutex_);
  if (const auto it = users_.find(user); it != users_.end()) {
    it->second.hashed = true;
    it->second.argon2 = argon2;
  }
}

std::size_t UserDb::plaintext_count() const {
  std::size_t n = 0;
  for (const auto& [name, secret] : users_) {
    n += secret.hashed ? 0 : 1;
  }
  return n;
}

Result<UserDb> UserDb::from_file(const AuthFile& file) {
  UserDb db;
  for (const Entry& entry : file.entries()) {
    Secret s;
    if (entry.hashed()) {
      s.hashed = true;
      s.argon2 = entry.secret;
    } else {
      s.digest = db.digest_of(entry.secret);
    }
    db.users_.emplace(entry.name, std::move(s));
  }
  // Unknown users and plaintext lines then cost one Argon2id verification
  // too, like known users with hashed passwords.
  unsigned char random[32];
  randombytes_buf(random, sizeof(random));
  auto dummy =
      hash_password(std::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  if (!dummy) {
    return dummy.error();
  }
  db.dummy_.hashed = true;
  db.dummy_.argon2 = std::move(*dummy);
  return db;
}

Result<UserDb> UserDb::parse(std::string_view text, std::string_view source) {
  auto file = AuthFile::parse(text, source);
  if (!file) {
    return file.error();
  }
  return from_file(*file);
}

Result<UserDb> UserDb::load(const std::filesystem::path& file) {
  auto parsed = AuthFile::load(file);
  if (!parsed) {
    return parsed.error();
  }
  return from_file(*parsed);
}

}  // namespace sfs::auth
