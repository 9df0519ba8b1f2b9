#pragma once
// The login policy: given a source address and a user name, whether a
// login attempt's password is checked, and after how long. It keeps three
// failure scores (auth::Throttle): per (source, name), per source, and per
// name, and remembers the sources each user logged in from.
//
// What an attempt is charged depends on its source's standing for the name:
//   trusted  the source logged in as this user before (within `trust_for`):
//            only the (source, name) key; others' failures, on the name
//            from elsewhere or on other names from there, never slow it;
//   clean    no recent failure from the source: the (source, name) and
//            source keys, and the name's key with `clean_free_failures`
//            free, a level failing sources alone cannot reach;
//   failing  recent failures from the source: all three keys.
// On each key charged, the attempt pays the penalty its failures earned
// past the free ones. A penalty longer than `max_wait` refuses the attempt
// without a check (with the time after which trying again may be
// admitted); so a name's score never passes the level of that penalty, and
// since scores halve every `half_life`, the guesses on one name are
// bounded whatever the number of addresses they come from (docs/security.md
// has the numbers). A burst is judged as if sent in a row: an attempt
// starts only if it would still be free were all attempts in flight on its
// keys to fail, or if none is in flight there; otherwise it is busy and
// asks again a moment later. Busy attempts hold nothing, and only attempts
// charged on a key wait for that key: nothing a stranger does makes a
// trusted source wait, nor a clean one below the clean level.
//
//   auto attempt = gate.begin("192.0.2.7", "alice", now);
//   if (attempt.decision().busy) ... ask again in a moment ...
//   if (!attempt.decision().admitted) refuse(attempt.decision().retry_after);
//   wait(attempt.decision().wait);              // then check the password
//   ok ? attempt.succeeded(now) : attempt.failed(now);
//   // an attempt dropped unfinished (the client left) counts as neither
//
// Thread-safe. Knows no network: addresses are strings (IPv6 ones are
// taken per /64, the block one host usually holds).

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/throttle.h"

namespace sfs::auth {

class LoginGate {
 public:
  using Clock = Throttle::Clock;

  struct Settings {
    double free_failures = 3;               // per key, before any penalty
    double clean_free_failures = 14;        // a name's free failures for clean sources
    std::chrono::milliseconds base{500};    // the first penalty; it doubles per failure
    std::chrono::seconds max_wait{30};      // longer penalties refuse the attempt
    std::chrono::seconds half_life{60};     // failures count half after this
    double clean_below = 0.1;               // a source scoring less is clean (one failure: 200 s)
    std::chrono::hours trust_for{24 * 30};  // a login keeps its source trusted this long
    std::size_t trusted_per_user = 8;       // the most recent sources are kept
    std::size_t max_keys = 10000;           // per score table, and users with trusted sources
    // Another node's attempt counts in flight here until its end is heard,
    // or this long (its node died, or the end was lost): longer than any
    // hold and check.
    std::chrono::seconds remote_for{90};
  };

  // In order of precedence (a password check queue may serve them so).
  enum class Standing { kTrusted, kClean, kFailing };

  struct Decision {
    bool admitted = false;
    bool busy = false;              // not admitted yet: ask again in a moment
    Clock::duration wait{};         // admitted: hold the check this long first
    Clock::duration retry_after{};  // refused: whole seconds until it may be admitted
    Standing standing = Standing::kFailing;
    unsigned source_in_flight = 0;  // the source's other attempts in flight
  };

  // One attempt; move-only. Admitted, it is in flight on its keys until
  // succeeded() or failed(); destroyed unfinished, it counts as nothing.
  class Attempt {
   public:
    Attempt(Attempt&& other) noexcept;
    Attempt& operator=(Attempt&&) = delete;
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;
    ~Attempt();

    const Decision& decision() const { return decision_; }
    // The verdict of the password check (only for an admitted attempt).
    void succeeded(Clock::time_point now);
    void failed(Clock::time_point now);

   private:
    friend class LoginGate;
    Attempt(LoginGate* gate, Decision decision, std::string source, std::string user);

    LoginGate* gate_;  // null once finished, or when not admitted
    Decision decision_;
    std::string source_;
    std::string user_;
  };

  LoginGate() : LoginGate(Settings{}) {}
  explicit LoginGate(Settings settings);

  // Decides on an attempt from `address` (as the socket reports it) for
  // `user` (any bytes: unknown names are treated exactly as known ones).
  Attempt begin(std::string_view address, std::string_view user, Clock::time_point now);

  // The key an address is counted under: IPv4 as is, IPv6 as its /64
  // ("2001:db8:1:2::/64"), an IPv4-mapped IPv6 address as the IPv4 one;
  // anything else as given.
  static std::string source_of(std::string_view address);

  static std::string_view standing_name(Standing standing);

  // Another node's attempt `id` (auth/verdict_share.h) starts: in flight
  // here too, on the keys it would be charged on here, until remote_end()
  // or Settings::remote_for. `source` is a key source_of() made there. At
  // most max_keys at once (beyond, the oldest is dropped).
  void remote_begin(const std::string& id, std::string_view source, std::string_view user,
                    Clock::time_point now);
  // It ends: no longer in flight, and its verdict (when it was checked)
  // counted as one made here, even when its begin was never heard.
  void remote_end(const std::string& id, std::string_view source, std::string_view user,
                  std::optional<bool> ok, Clock::time_point now);
  // Other nodes' attempts in flight here (for tests).
  std::size_t remote_in_flight() const;
  // Users with trusted sources remembered (for tests).
  std::size_t trusted_users() const;

 private:
  struct Trust {
    std::string source;
    Clock::time_point until;
  };
  // A key with the free failures that apply to it.
  struct Charge {
    Throttle* table;
    std::string key;
    double free_failures;
  };
  struct RemoteAttempt {
    std::vector<Charge> charges;  // in flight on these until it ends
    Clock::time_point until;
  };

  Standing standing_locked(const std::string& source, const std::string& user,
                           Clock::time_point now) const;
  std::vector<Charge> charges(Standing standing, const std::string& source,
                              const std::string& user);
  Decision decide_locked(Standing standing, const std::vector<Charge>& charges,
                         Clock::time_point now) const;
  bool trusted_locked(const std::string& source, const std::string& user,
                      Clock::time_point now) const;
  void trust_locked(const std::string& source, const std::string& user, Clock::time_point now);
  void finish(const Attempt& attempt, bool ok, bool checked, Clock::time_point now);
  void record_locked(const std::string& source, const std::string& user, bool ok,
                     Clock::time_point now);
  static std::string pair_key(const std::string& source, const std::string& user);
  // Ends the remote attempts whose time is up (all of them past `now`).
  void expire_remote_locked(Clock::time_point now);
  void end_charges_locked(const std::vector<Charge>& charges);

  Settings settings_;
  mutable std::mutex mutex_;                                     // makes decide-and-begin one step
  Throttle pairs_;                                               // per (source, name)
  Throttle sources_;                                             // per source
  Throttle names_;                                               // per name
  std::unordered_map<std::string, std::vector<Trust>> trusted_;  // by user name
  std::map<std::string, RemoteAttempt> remote_;                  // other nodes' attempts, by id
};

}  // namespace sfs::auth
