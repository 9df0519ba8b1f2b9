#pragma once
// Measures users' trees for the quota ledger, off the network threads (on
// the short disk-work pool), at most one scan per user at a time.
//
//   if (auto ok = co_await know_usage(shared, "alice", tree); !ok) return ok;
//   auto held = shared.quota_ledger.reserve("alice", {size, 1});

#include <string>

#include "asio/asio.h"
#include "base/result.h"
#include "storage/user_tree.h"

namespace sfs::server {

struct Shared;

// Returns once the ledger knows the user's usage: at once when it does (a
// rescan due then runs in the background); otherwise after this caller's
// scan, or another session's scan of the same user, has ended. kIo when
// the scan fails, or when another session's scan takes longer than the
// I/O timeout. A no-op without quotas.
awaitable<Result<void>> know_usage(Shared& shared, const std::string& user,
                                   const storage::UserTree& tree);

}  // namespace sfs::server
