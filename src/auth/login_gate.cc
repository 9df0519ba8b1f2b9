#include "auth/login_gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace sfs::auth {
namespace {

// Penalties are computed up to this long, so that one over max_wait is seen
// as such (the refusal, not this cap, is what bounds them).
constexpr std::chrono::hours kLongestPenalty{1};

Throttle::Settings table_settings(const LoginGate::Settings& s) {
  Throttle::Settings t;
  t.free_failures = s.free_failures;
  t.base = s.base;
  t.max = kLongestPenalty;
  t.half_life = s.half_life;
  t.max_keys = s.max_keys;
  return t;
}

}  // namespace

LoginGate::Attempt::Attempt(LoginGate* gate, Decision decision, std::string source,
                            std::string user)
    : gate_(gate), decision_(decision), source_(std::move(source)), user_(std::move(user)) {}

LoginGate::Attempt::Attempt(Attempt&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)),
      decision_(other.decision_),
      source_(std::move(other.source_)),
      user_(std::move(other.user_)) {}

LoginGate::Attempt::~Attempt() {
  if (gate_ != nullptr) {
    gate_->finish(*this, false, false, Clock::now());
  }
}

void LoginGate::Attempt::succeeded(Clock::time_point now) {
  if (gate_ != nullptr) {
    std::exchange(gate_, nullptr)->finish(*this, true, true, now);
  }
}

void LoginGate::Attempt::failed(Clock::time_point now) {
  if (gate_ != nullptr) {
    std::exchange(gate_, nullptr)->finish(*this, false, true, now);
  }
}

LoginGate::LoginGate(Settings settings)
    : settings_(settings),
      pairs_(table_settings(settings)),
      sources_(table_settings(settings)),
      names_(table_settings(settings)) {}

std::string LoginGate::source_of(std::string_view address) {
  std::string text(address);
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
    return text;
  }
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    char v4[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &v6.s6_addr[12], v4, sizeof(v4));
    return v4;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  char prefix[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &v6, prefix, sizeof(prefix));
  return std::string(prefix) + "/64";
}

std::string_view LoginGate::standing_name(Standing standing) {
  switch (standing) {
    case Standing::kTrusted:
      return "trusted";
    case Standing::kClean:
      return "clean";
    case Standing::kFailing:
      return "failing";
  }
  return "failing";
}

std::string LoginGate::pair_key(const std::string& source, const std::string& user) {
  return source + " " + user;  // a source never holds a space
}

LoginGate::Attempt LoginGate::begin(std::string_view address, std::string_view user_name,
                                    Clock::time_point now) {
  std::string source = source_of(address);
  std::string user(user_name);
  const std::lock_guard lock(mutex_);
  expire_remote_locked(now);
  const Standing standing = standing_locked(source, user, now);
  const std::vector<Charge> list = charges(standing, source, user);
  Decision decision = decide_locked(standing, list, now);
  decision.source_in_flight = sources_.in_flight(source);
  if (!decision.admitted) {
    return Attempt(nullptr, decision, std::move(source), std::move(user));
  }
  for (const Charge& c : list) {
    c.table->begin(c.key);
  }
  return Attempt(this, decision, std::move(source), std::move(user));
}

LoginGate::Standing LoginGate::standing_locked(const std::string& source, const std::string& user,
                                               Clock::time_point now) const {
  if (trusted_locked(source, user, now)) {
    return Standing::kTrusted;
  }
  if (sources_.failures(source, now) < settings_.clean_below &&
      pairs_.failures(pair_key(source, user), now) < settings_.clean_below) {
    return Standing::kClean;
  }
  return Standing::kFailing;
}

std::vector<LoginGate::Charge> LoginGate::charges(Standing standing, const std::string& source,
                                                  const std::string& user) {
  std::vector<Charge> list;
  list.push_back({&pairs_, pair_key(source, user), settings_.free_failures});
  if (standing == Standing::kTrusted) {
    return list;  // its own failures for this name only
  }
  list.push_back({&sources_, source, settings_.free_failures});
  list.push_back(
      {&names_, user,
       standing == Standing::kClean ? settings_.clean_free_failures : settings_.free_failures});
  return list;
}

// Refused when a penalty is over max_wait; else busy when, on some key,
// attempts are in flight and this one would not be free were they all to
// fail (so it waits for their verdicts, as if sent after them); else
// admitted with the largest penalty.
LoginGate::Decision LoginGate::decide_locked(Standing standing, const std::vector<Charge>& list,
                                             Clock::time_point now) const {
  Decision decision;
  decision.standing = standing;
  bool busy = false;
  for (const Charge& c : list) {
    const double failures = c.table->failures(c.key, now);
    const unsigned in_flight = c.table->in_flight(c.key);
    decision.wait = std::max(decision.wait, c.table->penalty(failures, c.free_failures));
    busy = busy || (in_flight > 0 && failures + in_flight >= c.free_failures - 0.5);
  }
  if (decision.wait > settings_.max_wait) {
    decision.wait = Clock::duration::zero();
    // Every penalty over the limit must have decayed under it.
    for (const Charge& c : list) {
      const double level = c.table->level(settings_.max_wait, c.free_failures);
      decision.retry_after = std::max(decision.retry_after, c.table->time_until(c.key, level, now));
    }
    // Whole seconds, rounded up: then it has decayed far enough.
    decision.retry_after = std::max<Clock::duration>(
        std::chrono::ceil<std::chrono::seconds>(decision.retry_after), std::chrono::seconds(1));
    return decision;
  }
  if (busy) {
    decision.busy = true;
    decision.wait = Clock::duration::zero();
    return decision;
  }
  decision.admitted = true;
  return decision;
}

bool LoginGate::trusted_locked(const std::string& source, const std::string& user,
                               Clock::time_point now) const {
  const auto it = trusted_.find(user);
  if (it == trusted_.end()) {
    return false;
  }
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Trust& t) { return t.source == source && t.until > now; });
}

// Remembers the source for the user: the most recent `trusted_per_user`
// sources per user, for at most `max_keys` users (those trusted least
// recently are forgotten first). Only right passwords get here, so in
// practice there is one entry per real user and device.
void LoginGate::trust_locked(const std::string& source, const std::string& user,
                             Clock::time_point now) {
  auto it = trusted_.find(user);
  if (it == trusted_.end()) {
    if (trusted_.size() >= settings_.max_keys) {
      std::erase_if(trusted_, [&](const auto& entry) {
        return std::none_of(entry.second.begin(), entry.second.end(),
                            [&](const Trust& t) { return t.until > now; });
      });
    }
    if (!trusted_.empty() && trusted_.size() >= settings_.max_keys) {
      auto newest = [](const auto& entry) {
        Clock::time_point latest{};
        for (const Trust& t : entry.second) {
          latest = std::max(latest, t.until);
        }
        return latest;
      };
      trusted_.erase(
          std::min_element(trusted_.begin(), trusted_.end(),
                           [&](const auto& a, const auto& b) { return newest(a) < newest(b); }));
    }
    it = trusted_.emplace(user, std::vector<Trust>{}).first;
  }
  std::vector<Trust>& list = it->second;
  std::erase_if(list, [&](const Trust& t) { return t.source == source || t.until <= now; });
  list.push_back({source, now + settings_.trust_for});
  if (list.size() > settings_.trusted_per_user) {
    list.erase(list.begin());  // kept in order of their last login
  }
}

// Every verdict counts for the (source, name), the source and the name,
// whatever keys the attempt was charged on.
void LoginGate::finish(const Attempt& attempt, bool ok, bool checked, Clock::time_point now) {
  const std::string& source = attempt.source_;
  const std::string& user = attempt.user_;
  const std::lock_guard lock(mutex_);
  end_charges_locked(charges(attempt.decision_.standing, source, user));
  if (checked) {
    record_locked(source, user, ok, now);
  }
}

void LoginGate::end_charges_locked(const std::vector<Charge>& list) {
  for (const Charge& c : list) {
    c.table->end(c.key);
  }
}

// Charged as this node would charge it, which is how its node charged it
// too: the nodes' gates hold the same verdicts.
void LoginGate::remote_begin(const std::string& id, std::string_view source_key,
                             std::string_view user_name, Clock::time_point now) {
  const std::string source(source_key);
  const std::string user(user_name);
  const std::lock_guard lock(mutex_);
  expire_remote_locked(now);
  if (remote_.contains(id)) {
    return;
  }
  if (remote_.size() >= settings_.max_keys) {
    auto oldest = std::min_element(
        remote_.begin(), remote_.end(),
        [](const auto& a, const auto& b) { return a.second.until < b.second.until; });
    end_charges_locked(oldest->second.charges);
    remote_.erase(oldest);
  }
  std::vector<Charge> list = charges(standing_locked(source, user, now), source, user);
  for (const Charge& c : list) {
    c.table->begin(c.key);
  }
  remote_.emplace(id, RemoteAttempt{std::move(list), now + settings_.remote_for});
}

void LoginGate::remote_end(const std::string& id, std::string_view source, std::string_view user,
                           std::optional<bool> ok, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (const auto it = remote_.find(id); it != remote_.end()) {
    end_charges_locked(it->second.charges);
    remote_.erase(it);
  }
  if (ok) {
    record_locked(std::string(source), std::string(user), *ok, now);
  }
  expire_remote_locked(now);
}

void LoginGate::expire_remote_locked(Clock::time_point now) {
  std::erase_if(remote_, [&](const auto& entry) {
    if (entry.second.until > now) {
      return false;
    }
    end_charges_locked(entry.second.charges);
    return true;
  });
}

std::size_t LoginGate::remote_in_flight() const {
  const std::lock_guard lock(mutex_);
  return remote_.size();
}

void LoginGate::record_locked(const std::string& source, const std::string& user, bool ok,
                              Clock::time_point now) {
  const std::string pair = pair_key(source, user);
  if (ok) {
    pairs_.success(pair);
    trust_locked(source, user, now);
    return;
  }
  pairs_.failure(pair, now);
  sources_.failure(source, now);
  names_.failure(user, now);
}

std::size_t LoginGate::trusted_users() const {
  const std::lock_guard lock(mutex_);
  return trusted_.size();
}

}  // namespace sfs::auth
