#pragma once
// Measures users' trees for the quota ledger, off the network threads (on
// the short disk-work pool), at most one scan per user at a time.
//
//   if (auto ok = co_await know_usage(ledger, disk, wait, "alice", tree); !ok) return ok;
//   auto held = ledger.reserve("alice", {size, 1});

#include <string>

#include "asio/asio.h"
#include "base/result.h"
#include "files/quota.h"
#include "storage/user_tree.h"

namespace sfs::files {

// Returns once the ledger knows the user's usage: at once when it does (a
// rescan due then runs in the background); otherwise after this caller's
// scan, or another session's scan of the same user, has ended. kIo when
// the scan fails, or when another session's scan takes longer than the
// `wait`. A no-op without quotas. Scans run on `disk`, which must be
// joined before `ledger` goes (a rescan may still be running there).
awaitable<Result<void>> know_usage(Quota& ledger, asio::thread_pool& disk,
                                   Quota::Clock::duration wait, const std::string& user,
                                   const storage::UserTree& tree);

}  // namespace sfs::files
