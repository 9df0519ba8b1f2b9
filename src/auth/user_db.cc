#include "auth/user_db.h"

#include <sodium.h>

#include <cstdlib>
#include <utility>

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

std::uint64_t UserDb::version(std::string_view user) const {
  const std::lock_guard lock(*mutex_);
  const auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.version;
}

bool UserDb::needs_rehash(std::string_view user) const {
  const std::lock_guard lock(*mutex_);
  const auto it = users_.find(user);
  return it != users_.end() && it->second.hashed && auth::needs_rehash(it->second.argon2);
}

std::optional<std::string> UserDb::replace_hash(std::string_view user, std::uint64_t version,
                                                const std::string& argon2) {
  const std::lock_guard lock(*mutex_);
  const auto it = users_.find(user);
  if (it == users_.end() || it->second.version != version || !it->second.hashed) {
    return std::nullopt;
  }
  std::string replaced = std::exchange(it->second.argon2, argon2);
  it->second.rehashed_from = replaced;
  return replaced;
}

std::size_t UserDb::size() const {
  const std::lock_guard lock(*mutex_);
  return users_.size();
}

std::size_t UserDb::plaintext_count() const {
  const std::lock_guard lock(*mutex_);
  std::size_t n = 0;
  for (const auto& [name, secret] : users_) {
    n += secret.hashed ? 0 : 1;
  }
  return n;
}

UserDb::Secret UserDb::secret_of(const Entry& entry) const {
  Secret s;
  if (entry.hashed()) {
    s.hashed = true;
    s.argon2 = entry.secret;
  } else {
    s.digest = digest_of(entry.secret);
  }
  return s;
}

// Both digests are keyed with this database's key, so equal digests mean
// equal plaintexts.
bool UserDb::same_password(const Secret& held, const Secret& read) {
  if (held.hashed != read.hashed) {
    return false;  // e.g. `sfs-admin migrate`: same password, but nothing can tell
  }
  if (!held.hashed) {
    return sodium_memcmp(held.digest.data(), read.digest.data(), held.digest.size()) == 0;
  }
  return read.argon2 == held.argon2 ||
         (!held.rehashed_from.empty() && read.argon2 == held.rehashed_from);
}

// An Argon2id hash of random bytes at today's cost: it never matches.
Result<UserDb::Secret> UserDb::make_dummy() {
  unsigned char random[32];
  randombytes_buf(random, sizeof(random));
  SFS_ASSIGN_OR_RETURN(auto hash, hash_password(std::string_view(
                                      reinterpret_cast<const char*>(random), sizeof(random))));
  Secret dummy;
  dummy.hashed = true;
  dummy.argon2 = std::move(hash);
  return dummy;
}

Result<UserDb> UserDb::from_file(const AuthFile& file) { return from_entries(file.entries()); }

Result<UserDb> UserDb::from_entries(const std::vector<Entry>& entries) {
  UserDb db;
  for (const Entry& entry : entries) {
    Secret s = db.secret_of(entry);
    s.version = ++db.last_version_;
    db.users_.emplace(entry.name, std::move(s));
  }
  // Unknown users and plaintext lines then cost one Argon2id verification
  // too, like known users with hashed passwords.
  SFS_ASSIGN_OR_RETURN(auto dummy, make_dummy());
  db.dummy_ = std::move(dummy);
  return db;
}

Result<UserDb::Changes> UserDb::reload(const AuthFile& file) { return reload(file.entries()); }

Result<UserDb::Changes> UserDb::reload(const std::vector<Entry>& entries) {
  // The digests take time: they are made before the lock.
  Users read;
  for (const Entry& entry : entries) {
    read.emplace(entry.name, secret_of(entry));
  }
  Changes changes;
  const std::lock_guard lock(*mutex_);
  for (auto& [name, secret] : read) {
    const auto held = users_.find(name);
    if (held == users_.end()) {
      changes.added.push_back(name);
      secret.version = ++last_version_;
    } else if (same_password(held->second, secret)) {
      // The file's form wins (a rehash not saved is retried at the next
      // login); the password, its version and its cache entry stay.
      secret.version = held->second.version;
      secret.rehashed_from = secret.argon2 == held->second.argon2 ? held->second.rehashed_from : "";
    } else {
      changes.changed.push_back(name);
      secret.version = ++last_version_;
      verified_.erase(name);
    }
  }
  for (const auto& [name, secret] : users_) {
    if (!read.contains(name)) {
      changes.removed.push_back(name);
      verified_.erase(name);
    }
  }
  users_ = std::move(read);
  changes.users = users_.size();
  return changes;
}

Result<UserDb> UserDb::parse(std::string_view text, std::string_view source) {
  SFS_ASSIGN_OR_RETURN(auto file, AuthFile::parse(text, source));
  return from_file(file);
}

Result<UserDb> UserDb::load(const std::filesystem::path& file) {
  SFS_ASSIGN_OR_RETURN(auto parsed, AuthFile::load(file));
  return from_file(parsed);
}

}  // namespace sfs::auth
