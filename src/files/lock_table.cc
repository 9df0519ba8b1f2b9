#include "files/lock_table.h"

#include <algorithm>

#include "crypto/random.h"

namespace sfs::files {
namespace {

// Every user's expired locks go after this many calls, so that a user who
// never comes back does not keep theirs in memory.
constexpr unsigned kSweepEvery = 256;

}  // namespace

std::string new_lock_token() { return "urn:uuid:" + crypto::random_uuid(); }

bool locks_overlap(const Lock& lock, const LockSpec& spec) {
  return lock.root == spec.root || (lock.deep && path_within(spec.root, lock.root)) ||
         (spec.deep && path_within(lock.root, spec.root));
}

bool lock_covers(const Lock& lock, std::string_view path) {
  return lock.root == path || (lock.deep && path_within(path, lock.root));
}

bool path_within(std::string_view path, std::string_view root) {
  if (root.empty()) {
    return true;
  }
  return path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/');
}

std::optional<Lock> unsatisfied(const std::vector<Lock>& locks,
                                const std::vector<std::string>& submitted) {
  auto has = [&](const Lock& lock) {
    return std::find(submitted.begin(), submitted.end(), lock.token) != submitted.end();
  };
  for (const Lock& lock : locks) {
    if (has(lock)) {
      continue;
    }
    // A shared lock is satisfied by the token of any shared lock on its root.
    const bool shared_ok = !lock.exclusive && std::any_of(locks.begin(), locks.end(), [&](auto& o) {
      return !o.exclusive && o.root == lock.root && has(o);
    });
    if (!shared_ok) {
      return lock;
    }
  }
  return std::nullopt;
}

MemoryLockTable::Locks& MemoryLockTable::live(std::string_view user, Clock::time_point now) {
  if (++calls_ % kSweepEvery == 0) {
    sweep_all(now);
  }
  auto it = users_.find(user);
  if (it == users_.end()) {
    it = users_.emplace(std::string(user), Locks{}).first;
  }
  std::erase_if(it->second, [&](const Entry& e) { return e.expires <= now; });
  return it->second;
}

void MemoryLockTable::sweep_all(Clock::time_point now) {
  for (auto it = users_.begin(); it != users_.end();) {
    std::erase_if(it->second, [&](const Entry& e) { return e.expires <= now; });
    it = it->second.empty() ? users_.erase(it) : std::next(it);
  }
}

Lock MemoryLockTable::shown(const Entry& entry, Clock::time_point now) const {
  Lock lock = entry.lock;
  // Rounded up, so that a lock about to expire still shows Second-1.
  const auto left = entry.expires - now;
  lock.timeout = std::chrono::ceil<std::chrono::seconds>(left);
  return lock;
}

MemoryLockTable::Entry* MemoryLockTable::find(Locks& locks, std::string_view path,
                                              std::string_view token) {
  for (Entry& e : locks) {
    if (e.lock.token == token && lock_covers(e.lock, path)) {
      return &e;
    }
  }
  return nullptr;
}

Result<Lock> MemoryLockTable::create(std::string_view user, const LockSpec& spec) {
  const std::lock_guard guard(mutex_);
  const auto now = now_();
  Locks& locks = live(user, now);
  for (const Entry& e : locks) {
    if ((e.lock.exclusive || spec.exclusive) && locks_overlap(e.lock, spec)) {
      return make_error(Errc::kExists, "locked: /" + e.lock.root);
    }
  }
  if (locks.size() >= max_per_user_) {
    return make_error(Errc::kTooLarge,
                      "too many locks: at most " + std::to_string(max_per_user_) + " per user");
  }
  Entry entry{.lock = {.token = new_lock_token(),
                       .root = spec.root,
                       .exclusive = spec.exclusive,
                       .deep = spec.deep,
                       .owner_xml = spec.owner_xml,
                       .timeout = spec.timeout},
              .expires = now + spec.timeout};
  locks.push_back(entry);
  return shown(entry, now);
}

Result<Lock> MemoryLockTable::refresh(std::string_view user, std::string_view path,
                                      std::string_view token, std::chrono::seconds timeout) {
  const std::lock_guard guard(mutex_);
  const auto now = now_();
  Entry* e = find(live(user, now), path, token);
  if (e == nullptr) {
    return make_error(Errc::kNotFound, "no such lock on this resource");
  }
  e->lock.timeout = timeout;
  e->expires = now + timeout;
  return shown(*e, now);
}

Result<void> MemoryLockTable::unlock(std::string_view user, std::string_view path,
                                     std::string_view token) {
  const std::lock_guard guard(mutex_);
  Locks& locks = live(user, now_());
  Entry* e = find(locks, path, token);
  if (e == nullptr) {
    return make_error(Errc::kNotFound, "no such lock on this resource");
  }
  locks.erase(locks.begin() + (e - locks.data()));
  return Result<void>{};
}

Result<std::vector<Lock>> MemoryLockTable::covering(std::string_view user, std::string_view path) {
  return affecting(user, path, false);
}

Result<std::vector<Lock>> MemoryLockTable::affecting(std::string_view user, std::string_view path,
                                                     bool tree) {
  const std::lock_guard guard(mutex_);
  const auto now = now_();
  std::vector<Lock> out;
  for (const Entry& e : live(user, now)) {
    if (lock_covers(e.lock, path) || (tree && path_within(e.lock.root, path))) {
      out.push_back(shown(e, now));
    }
  }
  return out;
}

Result<void> MemoryLockTable::remove_tree(std::string_view user, std::string_view path) {
  const std::lock_guard guard(mutex_);
  std::erase_if(live(user, now_()), [&](const Entry& e) { return path_within(e.lock.root, path); });
  return Result<void>{};
}

std::size_t MemoryLockTable::users() const {
  const std::lock_guard guard(mutex_);
  return static_cast<std::size_t>(
      std::count_if(users_.begin(), users_.end(), [](const auto& u) { return !u.second.empty(); }));
}

}  // namespace sfs::files
