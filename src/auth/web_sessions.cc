#include "auth/web_sessions.h"

#include <sodium.h>

#include <algorithm>

#include "base/hex.h"
#include "crypto/random.h"

namespace sfs::auth {
namespace {

constexpr std::size_t kIdBytes = 32;  // 256 bits, for the id and the CSRF token
constexpr unsigned kSweepEvery = 256;

std::string random_hex() {
  unsigned char bytes[kIdBytes];
  crypto::random_bytes(bytes, sizeof bytes);
  return to_hex(bytes, sizeof bytes);
}

// What the table keeps instead of the id.
std::string key_of(std::string_view id) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(id.data()),
                     id.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

NewWebSession new_web_session(std::string_view user, std::uint64_t version) {
  return NewWebSession{
      .id = random_hex(),
      .session = {.user = std::string(user), .version = version, .csrf = random_hex()}};
}

std::string web_session_key(std::string_view id) {
  const std::string key = key_of(id);
  return to_hex(reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

bool MemoryWebSessionTable::expired(const Entry& entry, Clock::time_point now) const {
  return now - entry.used >= limits_.idle || now - entry.created >= limits_.lifetime;
}

void MemoryWebSessionTable::erase(const std::string& key) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    return;
  }
  const auto user = by_user_.find(it->second.session.user);
  if (user != by_user_.end()) {
    std::erase(user->second, key);
    if (user->second.empty()) {
      by_user_.erase(user);
    }
  }
  sessions_.erase(it);
}

void MemoryWebSessionTable::sweep(Clock::time_point now) {
  std::vector<std::string> gone;
  for (const auto& [key, entry] : sessions_) {
    if (expired(entry, now)) {
      gone.push_back(key);
    }
  }
  for (const std::string& key : gone) {
    erase(key);
  }
}

Result<NewWebSession> MemoryWebSessionTable::create(std::string_view user, std::uint64_t version) {
  const Clock::time_point now = now_();
  std::lock_guard lock(mutex_);
  if (++calls_ % kSweepEvery == 0 || sessions_.size() >= limits_.max_sessions) {
    sweep(now);
  }
  if (const auto mine = by_user_.find(user);
      mine != by_user_.end() && mine->second.size() >= limits_.max_per_user) {
    erase(std::string(mine->second.front()));  // a copy: erase changes the vector
  }
  if (sessions_.size() >= limits_.max_sessions) {
    return make_error(Errc::kTooLarge, "too many browser sessions; try again later");
  }
  NewWebSession made = new_web_session(user, version);
  std::string key = key_of(made.id);
  sessions_.emplace(key, Entry{.session = made.session, .created = now, .used = now});
  by_user_[std::string(user)].push_back(std::move(key));
  return made;
}

Result<std::optional<WebSession>> MemoryWebSessionTable::find(std::string_view id) {
  const Clock::time_point now = now_();
  const std::string key = key_of(id);
  std::lock_guard lock(mutex_);
  if (++calls_ % kSweepEvery == 0) {
    sweep(now);
  }
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    return std::optional<WebSession>();
  }
  if (expired(it->second, now)) {
    erase(key);
    return std::optional<WebSession>();
  }
  it->second.used = now;
  return std::optional(it->second.session);
}

Result<bool> MemoryWebSessionTable::end(std::string_view id) {
  const std::string key = key_of(id);
  std::lock_guard lock(mutex_);
  const bool found = sessions_.contains(key);
  erase(key);
  return found;
}

Result<std::size_t> MemoryWebSessionTable::end_user(std::string_view user) {
  std::lock_guard lock(mutex_);
  const auto it = by_user_.find(user);
  if (it == by_user_.end()) {
    return std::size_t{0};
  }
  const std::vector<std::string> keys = it->second;
  for (const std::string& key : keys) {
    erase(key);
  }
  return keys.size();
}

std::size_t MemoryWebSessionTable::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace sfs::auth
