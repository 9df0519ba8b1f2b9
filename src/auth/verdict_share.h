#pragma once
// Login verdicts shared between the nodes of a cluster, so that the login
// penalties (LoginGate) are cluster-wide: a guesser spreading attempts over
// the nodes meets the penalties one node would give (docs/cluster.md).
// Each node publishes the verdict of every password check before its client
// hears it, and applies the verdicts the other nodes publish as they
// arrive. Before it judges an attempt, a node waits until it has applied
// every verdict published before (sync()): so an attempt never overtakes
// the verdict of the one before it, whichever node judged that. The
// PostgreSQL implementation is pg::PgVerdictShare (NOTIFY).
//
//   share.start([&](const SharedVerdict& v) { gate.apply(v.source, v.user, v.ok, now()); });
//   if (!share.sync()) ... refuse the login: the others cannot be heard ...
//   ... gate.begin(...), the check ...
//   if (!share.publish({source, user, ok})) ... refuse the login: the
//                                            cluster could not count it ...
//   share.stop();
//
// publish() and sync() block (a database round trip): callers run them
// off the network threads.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::auth {

struct SharedVerdict {
  std::string source;  // LoginGate::source_of() of the address
  std::string user;    // as sent: any bytes up to kMaxSharedField
  bool ok = false;
};

// Longer fields are not shared (a user name the server accepts is shorter).
inline constexpr std::size_t kMaxSharedField = 1024;

class VerdictShare {
 public:
  virtual ~VerdictShare() = default;
  // Starts delivering other nodes' verdicts to `deliver`, from a thread of
  // the share's own.
  virtual void start(std::function<void(const SharedVerdict&)> deliver) = 0;
  // Stops delivering; returns once `deliver` runs no more. Safe to call twice.
  virtual void stop() = 0;
  // Makes the verdict known to the other nodes; an error when it could not
  // (the database is away): the caller must then not let the login count.
  virtual Result<void> publish(const SharedVerdict& verdict) = 0;
  // Returns once every verdict another node published before this call has
  // been delivered; an error when that cannot be known in time (the
  // database away): the caller must then not judge a login.
  virtual Result<void> sync() = 0;
};

// A verdict in a notification's payload, from node `node`:
// "v1 NODE OK SOURCE USER" with NODE, SOURCE and USER in hex and OK 0 or 1.
std::string encode_verdict(std::uint64_t node, const SharedVerdict& verdict);
struct NodeVerdict {
  std::uint64_t node = 0;
  SharedVerdict verdict;
};
// nullopt for anything that is not such a payload (never trusted blindly:
// fields bounded by kMaxSharedField).
std::optional<NodeVerdict> decode_verdict(std::string_view payload);

// A node's barrier (sync()): "b1 NODE SEQ", both in hex. Sent on the same
// channel as the verdicts, it comes back to its node after every verdict
// sent before it.
struct Barrier {
  std::uint64_t node = 0;
  std::uint64_t seq = 0;
};
std::string encode_barrier(const Barrier& barrier);
std::optional<Barrier> decode_barrier(std::string_view payload);

}  // namespace sfs::auth
