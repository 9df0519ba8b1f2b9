#pragma once
// Scores for failed logins that grow with failures and decay with time, per
// key (a source address, a user name ...), like OpenSSH's
// PerSourcePenalties, the penalty a score earns, and how many attempts are
// in flight per key (begin() ... end()), so that a caller can hold a burst
// of simultaneous guesses until the verdicts before it are known. Memory is
// bounded: at most `max_keys` scored keys; attempts in flight add one entry
// per key in flight.
//
//   Throttle throttle;
//   if (throttle.delay("ip:10.0.0.1", now) > too_long) refuse();
//   throttle.begin("ip:10.0.0.1");
//   ... wait the delay, then check the password ...
//   throttle.end("ip:10.0.0.1");
//   ok ? throttle.success("ip:10.0.0.1") : throttle.failure("ip:10.0.0.1", now);
//
// Thread-safe. auth::LoginGate combines several of these into the login policy.

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

  // The key's failures, decayed to `now`.
  double failures(std::string_view key, Clock::time_point now) const;
  // The key's attempts between begin() and end().
  unsigned in_flight(std::string_view key) const;
  // The penalty of a score when `free_failures` failures are free: none
  // for a score of 0, none below them (rounded: three failures a moment ago have decayed to
  // 2.99..., and the attempt after them must still pay), then `base`,
  // doubling with each failure, at most `max`.
  Clock::duration penalty(double score, double free_failures) const;
  // The score at which penalty(score, free_failures) reaches `wait`.
  double level(Clock::duration wait, double free_failures) const;
  // penalty(failures(key, now), free_failures of the settings).
  Clock::duration delay(std::string_view key, Clock::time_point now) const;
  // How long until failures(key) have decayed to `level`, if nothing new
  // happens; zero when they are there already.
  Clock::duration time_until(std::string_view key, double level, Clock::time_point now) const;

  // One attempt in flight for `key`, counted in in_flight() until end().
  void begin(std::string_view key);
  void end(std::string_view key);
  void failure(std::string_view key, Clock::time_point now);
  // Clears the key's failures (not its attempts in flight).
  void success(std::string_view key);
  // Scored keys (not counting keys with only attempts in flight).
  std::size_t size() const;
  const Settings& settings() const { return settings_; }

 private:
  struct Score {
    double failures = 0;
    Clock::time_point updated;
  };

  double decayed(const Score& score, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  Settings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Score> scores_;
  std::unordered_map<std::string, unsigned> pending_;  // attempts in flight per key
};

}  // namespace sfs::auth
