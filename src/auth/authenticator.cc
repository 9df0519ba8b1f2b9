#include "auth/authenticator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "asio/offload.h"
#include "auth/password_hash.h"
#include "base/check.h"

namespace sfs::auth {
namespace {

using Clock = std::chrono::steady_clock;

// How often a busy login attempt asks the login gate again (while the
// verdicts of the attempts before it are awaited).
constexpr auto kBusyPoll = std::chrono::milliseconds(20);
// Check-queue priorities per standing: one per count of the source's other
// attempts in flight.
constexpr unsigned kSourceRanks = 16;
// Threads for the cluster's round trips (each attempt announced, and its
// end with the verdict): a database
// call waits on the network, so it gets threads of its own and never takes
// a hashing slot.
constexpr unsigned kShareThreads = 4;

}  // namespace

std::string LoginOutcome::message() const {
  switch (kind) {
    case Kind::kFailed:
      return "login failed";
    case Kind::kRefused:
      return "too many failed logins for this account or address; try again in " +
             std::to_string(retry_after.count()) + " s";
    case Kind::kBusy:
      return "too many logins in progress for this account or address; try again later";
    case Kind::kUnavailable:
      return "login unavailable: the user database cannot be reached; try again later";
    case Kind::kLoggedIn:
    case Kind::kClosed:
      break;
  }
  return {};
}

Authenticator::Authenticator(UserDb& users, Settings settings)
    : users_(users),
      settings_(settings),
      gate_(settings_.gate),
      checks_(std::max(1U, settings_.max_concurrent_checks)),
      queue_(std::max(1U, settings_.max_concurrent_checks)),
      shares_(kShareThreads) {
  SFS_CHECK(settings_.store != nullptr);
  if (settings_.verdicts != nullptr) {
    settings_.verdicts->start({
        .begun =
            [this](const RemoteAttempt& a) {
              gate_.remote_begin(a.id, a.key.source, a.key.user, Clock::now());
            },
        .ended =
            [this](const RemoteAttempt& a) {
              gate_.remote_end(a.id, a.key.source, a.key.user, a.ok, Clock::now());
            },
    });
  }
}

Authenticator::~Authenticator() {
  if (settings_.verdicts != nullptr) {
    settings_.verdicts->stop();  // before the gate it delivers to goes
  }
}

bool Authenticator::current(const Identity& identity) const {
  return users_.version(identity.user) == identity.version;
}

// The end of an attempt the cluster heard of, announced once: with its
// verdict (share()), or without one when the attempt goes unchecked.
struct Authenticator::Announced {
  Authenticator* self = nullptr;
  AttemptKey key;
  std::optional<std::uint64_t> seq;  // announced and in flight
  bool unavailable = false;          // the cluster could not be asked

  Announced(Authenticator* owner, const LoginRequest& request)
      : self(owner),
        key{LoginGate::source_of(request.source),
            // No user has a longer name: cut, it still counts on its source.
            std::string(request.user.substr(0, kMaxSharedField))} {}
  Announced(const Announced&) = delete;
  Announced& operator=(const Announced&) = delete;
  ~Announced() {
    if (seq) {
      self->announce_unchecked(*seq, key);
    }
  }
};

awaitable<LoginOutcome> Authenticator::log_in(LoginRequest request, const LoginHooks& hooks) {
  Announced announced(this, request);
  auto admitted = co_await admit(request, hooks, announced);
  if (announced.unavailable) {
    co_return LoginOutcome{.kind = LoginOutcome::Kind::kUnavailable};
  }
  if (!admitted) {  // (a draining server answers busy too: try again later)
    spdlog::warn("user={} peer={} login refused: busy past the login deadline", request.user_label,
                 request.peer);
    co_return LoginOutcome{.kind = LoginOutcome::Kind::kBusy};
  }
  const LoginGate::Decision& decision = admitted->decision();
  if (!decision.admitted) {
    const auto retry = std::chrono::ceil<std::chrono::seconds>(decision.retry_after);
    spdlog::warn("user={} peer={} login refused source={} retry={}s", request.user_label,
                 request.peer, LoginGate::standing_name(decision.standing), retry.count());
    co_return LoginOutcome{.kind = LoginOutcome::Kind::kRefused, .retry_after = retry};
  }
  co_return co_await hold_and_check(request, hooks, *admitted, announced);
}

awaitable<std::optional<LoginGate::Attempt>> Authenticator::admit(const LoginRequest& request,
                                                                  const LoginHooks& hooks,
                                                                  Announced& announced) {
  while (true) {
    std::optional<LoginGate::Attempt> attempt;
    if (!co_await decide(request, announced, attempt)) {
      co_return std::nullopt;
    }
    if (!attempt->decision().busy) {
      co_return std::move(attempt);
    }
    if (Clock::now() + kBusyPoll >= request.deadline) {
      co_return std::nullopt;
    }
    if (!co_await wait_for(kBusyPoll, hooks)) {
      co_return std::nullopt;
    }
  }
}

awaitable<bool> Authenticator::wait_for(Clock::duration wait, const LoginHooks& hooks) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  timer.expires_after(wait);
  if (hooks.on_wait) {
    hooks.on_wait(true);
  }
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (hooks.on_wait) {
    hooks.on_wait(false);
  }
  co_return !(hooks.stopping && hooks.stopping());
}

// Alone, the gate decides at once. In a cluster, the decision waits for
// the attempt's announcement to come back and is made on the share's
// thread right then, with every attempt announced before it in flight or
// counted (auth/verdict_share.h). Only an admitted attempt stays announced.
awaitable<bool> Authenticator::decide(const LoginRequest& request, Announced& announced,
                                      std::optional<LoginGate::Attempt>& attempt) {
  auto judge = [&] { attempt.emplace(gate_.begin(request.source, request.user, Clock::now())); };
  if (settings_.verdicts == nullptr) {
    judge();
    co_return true;
  }
  auto seq = co_await run_blocking(shares_,
                                   [&] { return settings_.verdicts->begin(announced.key, judge); });
  if (!seq) {
    spdlog::error("user={} peer={} login refused: {}", request.user_label, request.peer,
                  seq.error().message);
    announced.unavailable = true;
    co_return false;
  }
  if (attempt->decision().admitted) {
    announced.seq = *seq;
  } else {
    announce_unchecked(*seq, announced.key);
  }
  co_return true;
}

// Fire and forget: should it be lost, the other nodes let the attempt go
// after LoginGate::Settings::remote_for.
void Authenticator::announce_unchecked(std::uint64_t seq, const AttemptKey& key) {
  asio::post(shares_,
             [share = settings_.verdicts, seq, key] { (void)share->end(seq, key, std::nullopt); });
}

// Only this attempt waits; everyone else is served meanwhile.
awaitable<LoginOutcome> Authenticator::hold_and_check(const LoginRequest& request,
                                                      const LoginHooks& hooks,
                                                      LoginGate::Attempt& attempt,
                                                      Announced& announced) {
  const LoginGate::Decision& decision = attempt.decision();
  const std::string_view standing = LoginGate::standing_name(decision.standing);
  LoginOutcome outcome;
  if (decision.wait > Clock::duration::zero()) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(decision.wait);
    spdlog::info("user={} peer={} login delayed {} ms source={}", request.user_label, request.peer,
                 ms.count(), standing);
    outcome.held = decision.wait;
    if (hooks.on_hold && !co_await hooks.on_hold(ms)) {
      co_return outcome;  // kClosed
    }
    if (!co_await wait_for(decision.wait, hooks)) {
      co_return outcome;
    }
  }
  // Read before the check; the door compares it again (current()) once its
  // session is listed under the user, so a reload in between shows.
  const std::uint64_t version = users_.version(request.user);
  const UserDb::Verdict verdict = co_await check_password(request, decision);
  if (!co_await share(announced, verdict.ok)) {
    // Unfinished, the attempt counts for nothing here either.
    spdlog::error("user={} peer={} login not counted: the verdict could not reach the other nodes",
                  request.user_label, request.peer);
    outcome.kind = LoginOutcome::Kind::kUnavailable;
    co_return outcome;
  }
  if (!verdict.ok) {
    attempt.failed(Clock::now());
    spdlog::warn("user={} peer={} login failed check={} source={}", request.user_label,
                 request.peer, verdict.method == UserDb::Method::kCache ? "cache" : "argon2id",
                 standing);
    outcome.kind = LoginOutcome::Kind::kFailed;
    co_return outcome;
  }
  attempt.succeeded(Clock::now());
  Identity identity{std::string(request.user), version, verdict.method, decision.standing};
  if (users_.needs_rehash(identity.user)) {
    const auto turn = co_await queue_.wait(0);
    co_await run_blocking(checks_,
                          [&] { return rehash(identity.user, request.password, version); });
  }
  outcome.kind = LoginOutcome::Kind::kLoggedIn;
  outcome.identity = std::move(identity);
  co_return outcome;
}

// Before the client hears the verdict, so that its next attempt, on any
// node, is judged with this one counted.
awaitable<bool> Authenticator::share(Announced& announced, bool ok) {
  if (!announced.seq) {
    co_return true;  // no cluster
  }
  const std::uint64_t seq = *std::exchange(announced.seq, std::nullopt);
  co_return co_await run_blocking(
      shares_, [&] { return settings_.verdicts->end(seq, announced.key, ok).ok(); });
}

// Trusted and clean sources first, never behind failing ones; within a
// standing, sources with fewer attempts in flight first.
awaitable<UserDb::Verdict> Authenticator::check_password(const LoginRequest& request,
                                                         const LoginGate::Decision& decision) {
  const unsigned priority = static_cast<unsigned>(decision.standing) * kSourceRanks +
                            std::min(decision.source_in_flight, kSourceRanks - 1);
  const auto turn = co_await queue_.wait(priority);
  co_return co_await run_blocking(checks_,
                                  [&] { return users_.check(request.user, request.password); });
}

// The password is known right now, so a hash made with outdated costs is
// replaced in the user store (atomically; the running server keeps
// verifying with the old one, which stays valid). Only over the hash this
// password was checked against (`version`), in memory and in the file: a
// rehash of the old password must never undo a change the administrator
// made meanwhile.
bool Authenticator::rehash(const std::string& user, std::string_view password,
                           std::uint64_t version) {
  auto hash = hash_password(password);
  if (!hash) {
    spdlog::warn("user={} could not rehash the password: {}", user, hash.error().message);
    return false;
  }
  // Once is enough, saved or not.
  const auto replaced = users_.replace_hash(user, version, *hash);
  if (!replaced) {
    spdlog::info("user={} password changed during the rehash; the rehash is dropped", user);
    return false;
  }
  // Only over the hash this password matched: an administrator's change
  // made meanwhile (kExists) wins.
  if (auto saved = settings_.store->replace_secret(user, *replaced, *hash); !saved) {
    if (saved.error().code == Errc::kExists) {
      spdlog::info("user={} changed in the {} meanwhile; the rehash is not saved", user,
                   settings_.store->kind());
    } else {
      spdlog::warn("user={} could not save the rehashed password: {}", user, saved.error().message);
    }
    return false;
  }
  spdlog::info("user={} password rehashed with the current Argon2id costs", user);
  return true;
}

}  // namespace sfs::auth
