#pragma once
// Measures users' spaces for the quota ledger (Space::usage(), which the
// backend keeps off the network threads), at most one scan per user at a
// time.
//
//   if (auto ok = co_await know_usage(ledger, backend, wait, "alice", space); !ok) return ok;
//   auto held = ledger.reserve("alice", {size, 1});

#include <string>

#include "asio/asio.h"
#include "base/result.h"
#include "files/quota.h"
#include "storage/backend.h"

namespace sfs::files {

// Returns once the ledger knows the user's usage: at once when it does (a
// rescan due then runs in the background); otherwise after this caller's
// scan, or another session's scan of the same user, has ended. kIo when
// the scan fails, or when another session's scan takes longer than the
// `wait`. A no-op without quotas. A rescan in the background opens a space
// of its own from `backend` (so it may outlive the caller's space) and runs
// detached on the caller's executor: `ledger` and `backend` must outlive it
// (the server joins its pools and stops its io_context first).
awaitable<Result<void>> know_usage(Quota& ledger, storage::Backend& backend,
                                   Quota::Clock::duration wait, const std::string& user,
                                   storage::Space& space);

}  // namespace sfs::files
