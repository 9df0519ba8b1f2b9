#pragma once
// Penalties for failed logins that grow with failures and decay with time,
// per key (a source address, a user name), like OpenSSH's
// PerSourcePenalties. Memory is bounded: at most `max_keys` keys.
//
//   Throttle throttle;
//   auto wait = std::max(throttle.delay("ip:10.0.0.1", now), throttle.delay("user:bob", now));
//   ... wait, then check the password ...
//   ok ? throttle.success(key) : throttle.failure(key, now);
//
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sfs::auth {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Settings {
    double free_failures = 3;              // failures before any delay
    std::chrono::milliseconds base{500};   // delay after the first paid failure
    std::chrono::milliseconds max{30000};  // delays never exceed this
    std::chrono::seconds half_life{60};    // failures count half after this
    std::size_t max_keys = 10000;
  };

  Throttle() = default;
  explicit Throttle(Settings settings) : settings_(settings) {}

  // How long to hold the next login attempt for `key`.
  Clock::duration delay(std::string_view key, Clock::time_point now) const;
  // Claims one of the `free_failures` password checks that may run at once
  // for `key`; false when that many run already (ask again a moment later).
  // So a burst of simultaneous guesses is judged on the outcome of the
  // checks before it, while correct logins, which clear their keys, never
  // hold each other up for long. Every claim is given back with end().
  bool try_begin(std::string_view key);
  void end(std::string_view key);
  void failure(std::string_view key, Clock::time_point now);
  void success(std::string_view key);
  std::size_t size() const;

 private:
  struct Score {
    double failures = 0;
    Clock::time_point updated;
  };

  double decayed(const Score& score, Clock::time_point now) const;
  Clock::duration delay_locked(std::string_view key, Clock::time_point now) const;
  void failure_locked(std::string_view key, Clock::time_point now);
  void make_room(Clock::time_point now);

  Settings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Score> scores_;
  std::unordered_map<std::string, unsigned> running_;  // checks in flight per key
};

}  // namespace sfs::auth
