#pragma once
// Login attempts shared between the nodes of a cluster, so that the login
// penalties (LoginGate) are cluster-wide: a guesser spreading attempts over
// the nodes meets the penalties one node would give (docs/cluster.md).
//
// Every node announces each attempt (begin) and its end (the verdict of the
// password check, or none when it was not checked) to all nodes, through
// one channel that delivers every message to every node in the same order.
// A node judges its attempt at the moment its own announcement comes back:
// the other nodes' attempts and verdicts announced before are then applied
// to its gate (in flight, or counted), those after are not, and each of
// them is judged with this one in flight. So attempts on several nodes are
// judged as if they came to one node in that order, bursts included. The
// PostgreSQL implementation is pg::PgVerdictShare (NOTIFY).
//
//   share.start({.begun = [&](const RemoteAttempt& a) { gate.remote_begin(...); },
//                .ended = [&](const RemoteAttempt& a) { gate.remote_end(...); }});
//   auto id = share.begin({source, user}, [&] { attempt = gate.begin(...); });
//   if (!id) ... refuse the login: the others cannot be heard ...
//   ... the hold, the check ...
//   if (!share.end(*id, {source, user, ok})) ... refuse the login: the
//                                                cluster could not count it ...
//   share.stop();
//
// begin() and end() block (a database round trip): callers run them off
// the network threads.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::auth {

// Who tries: LoginGate::source_of() of the address, and the name as sent
// (any bytes up to kMaxSharedField).
struct AttemptKey {
  std::string source;
  std::string user;
};

// Longer fields are not shared (a user name the server accepts is shorter).
inline constexpr std::size_t kMaxSharedField = 1024;

// Another node's attempt, as delivered.
struct RemoteAttempt {
  std::string id;  // unique in the cluster: "NODE:SEQ"
  AttemptKey key;
  std::optional<bool> ok;  // ended: the verdict, or nullopt (not checked)
};

class VerdictShare {
 public:
  struct Handlers {
    std::function<void(const RemoteAttempt&)> begun;  // another node's attempt starts
    std::function<void(const RemoteAttempt&)> ended;  // ... and ends
  };

  virtual ~VerdictShare() = default;
  // Starts delivering other nodes' messages, from a thread of the share's
  // own, one at a time, in the cluster's order.
  virtual void start(Handlers handlers) = 0;
  // Stops delivering; returns once no handler runs any more. Safe to call
  // twice.
  virtual void stop() = 0;
  // Announces an attempt and runs `at_turn` on the delivering thread when
  // the announcement comes back (every message before it delivered, none
  // after). Returns the attempt's number for end(); an error when it
  // cannot be known in time (the database away): `at_turn` then never runs
  // and the login must not be judged.
  virtual Result<std::uint64_t> begin(const AttemptKey& key, std::function<void()> at_turn) = 0;
  // Announces the end of attempt `seq`: its verdict, or nullopt when it was
  // not checked. An error when it could not be sent: a verdict the others
  // never hear must not count here either.
  virtual Result<void> end(std::uint64_t seq, const AttemptKey& key, std::optional<bool> ok) = 0;
};

// The messages on the wire, one per notification:
//   "a1 NODE SEQ SOURCE USER"      an attempt begins
//   "e1 NODE SEQ R SOURCE USER"    it ends; R is 1 (ok), 0 (failed), - (not checked)
// NODE and SEQ in hex (at most 16 digits), SOURCE and USER as hex bytes.
struct AttemptMessage {
  std::uint64_t node = 0;
  std::uint64_t seq = 0;
  bool ended = false;
  AttemptKey key;
  std::optional<bool> ok;  // only when ended
};
std::string encode_attempt(const AttemptMessage& message);
// nullopt for anything that is not such a message (never trusted blindly:
// fields bounded by kMaxSharedField; SOURCE never empty).
std::optional<AttemptMessage> decode_attempt(std::string_view payload);

}  // namespace sfs::auth
