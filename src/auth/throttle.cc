#include "auth/throttle.h"

#include <algorithm>
#include <cmath>

namespace sfs::auth {

double Throttle::decayed(const Score& score, Clock::time_point now) const {
  const double age = std::chrono::duration<double>(now - score.updated).count();
  const double half_life = std::chrono::duration<double>(settings_.half_life).count();
  return score.failures * std::exp2(-std::max(0.0, age) / half_life);
}

Throttle::Clock::duration Throttle::delay(std::string_view key, Clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  return delay_locked(key, now);
}

bool Throttle::try_begin(std::string_view key) {
  const std::lock_guard lock(mutex_);
  unsigned& running = running_[std::string(key)];
  if (running >= std::max(1.0, settings_.free_failures)) {
    return false;
  }
  ++running;
  return true;
}

void Throttle::end(std::string_view key) {
  const std::lock_guard lock(mutex_);
  if (auto it = running_.find(std::string(key)); it != running_.end() && --it->second == 0) {
    running_.erase(it);
  }
}

Throttle::Clock::duration Throttle::delay_locked(std::string_view key,
                                                 Clock::time_point now) const {
  const auto it = scores_.find(std::string(key));
  if (it == scores_.end()) {
    return Clock::duration::zero();
  }
  // Rounded: three failures a moment ago have decayed to 2.99..., and the
  // attempt after them must still pay.
  const double excess = decayed(it->second, now) - settings_.free_failures;
  if (excess < -0.5) {
    return Clock::duration::zero();
  }
  const double paid = std::max(0.0, excess);
  const double max_ms = static_cast<double>(settings_.max.count());
  const double ms = std::min(
      max_ms, static_cast<double>(settings_.base.count()) * std::exp2(std::min(paid, 60.0)));
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

void Throttle::failure(std::string_view key, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  failure_locked(key, now);
}

void Throttle::failure_locked(std::string_view key, Clock::time_point now) {
  auto it = scores_.find(std::string(key));
  if (it == scores_.end()) {
    make_room(now);
    it = scores_.emplace(std::string(key), Score{0, now}).first;
  }
  it->second.failures = decayed(it->second, now) + 1;
  it->second.updated = now;
}

void Throttle::success(std::string_view key) {
  const std::lock_guard lock(mutex_);
  scores_.erase(std::string(key));
}

std::size_t Throttle::size() const {
  const std::lock_guard lock(mutex_);
  return scores_.size();
}

// Called with the lock held, before adding a key: forgets keys whose
// failures have decayed to almost nothing, and if that is not enough, the
// key with the lowest score.
void Throttle::make_room(Clock::time_point now) {
  if (scores_.size() < settings_.max_keys) {
    return;
  }
  std::erase_if(scores_, [&](const auto& entry) { return decayed(entry.second, now) < 0.5; });
  if (scores_.size() < settings_.max_keys || scores_.empty()) {
    return;
  }
  const auto lowest =
      std::min_element(scores_.begin(), scores_.end(), [&](const auto& a, const auto& b) {
        return decayed(a.second, now) < decayed(b.second, now);
      });
  scores_.erase(lowest);
}

}  // namespace sfs::auth
