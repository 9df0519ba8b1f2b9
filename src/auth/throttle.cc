#include "auth/throttle.h"

#include <algorithm>
#include <cmath>

namespace sfs::auth {
namespace {

using Seconds = std::chrono::duration<double>;

// The longest time_until() answers: a day (the scores are long gone by then).
constexpr double kLongestWait = 24 * 3600;

Throttle::Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Throttle::Clock::duration>(Seconds(seconds));
}

}  // namespace

double Throttle::decayed(const Score& score, Clock::time_point now) const {
  const double age = Seconds(now - score.updated).count();
  const double half_life = Seconds(settings_.half_life).count();
  return score.failures * std::exp2(-std::max(0.0, age) / half_life);
}

double Throttle::failures(std::string_view key, Clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  const auto it = scores_.find(std::string(key));
  return it == scores_.end() ? 0 : decayed(it->second, now);
}

unsigned Throttle::in_flight(std::string_view key) const {
  const std::lock_guard lock(mutex_);
  const auto it = pending_.find(std::string(key));
  return it == pending_.end() ? 0 : it->second;
}

Throttle::Clock::duration Throttle::penalty(double score, double free_failures) const {
  const double excess = score - free_failures;
  if (score <= 0 || excess < -0.5) {  // no failure at all is free, whatever the settings
    return Clock::duration::zero();
  }
  const double paid = std::max(0.0, excess);
  const double max_ms = static_cast<double>(settings_.max.count());
  const double ms = std::min(
      max_ms, static_cast<double>(settings_.base.count()) * std::exp2(std::min(paid, 60.0)));
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

double Throttle::level(Clock::duration wait, double free_failures) const {
  const double ratio = Seconds(wait).count() / Seconds(settings_.base).count();
  return free_failures + std::log2(std::max(ratio, 1.0));
}

Throttle::Clock::duration Throttle::delay(std::string_view key, Clock::time_point now) const {
  return penalty(failures(key, now), settings_.free_failures);
}

Throttle::Clock::duration Throttle::time_until(std::string_view key, double level,
                                               Clock::time_point now) const {
  const double now_score = failures(key, now);
  if (now_score <= level) {
    return Clock::duration::zero();
  }
  if (level <= 0) {
    return to_duration(kLongestWait);
  }
  const double half_life = Seconds(settings_.half_life).count();
  return to_duration(std::min(kLongestWait, half_life * std::log2(now_score / level)));
}

void Throttle::begin(std::string_view key) {
  const std::lock_guard lock(mutex_);
  ++pending_[std::string(key)];
}

void Throttle::end(std::string_view key) {
  const std::lock_guard lock(mutex_);
  if (auto it = pending_.find(std::string(key)); it != pending_.end() && --it->second == 0) {
    pending_.erase(it);
  }
}

void Throttle::failure(std::string_view key, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
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
