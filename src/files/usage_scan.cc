#include "files/usage_scan.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "asio/offload.h"

namespace sfs::files {
namespace {

using Clock = Quota::Clock;

// How often a session waiting for another session's scan looks again.
constexpr auto kScanPoll = std::chrono::milliseconds(20);

// Walks the tree and logs it: one record per scan, so the log shows how
// rarely it happens.
Result<storage::Usage> measure(const std::string& user, const storage::UserTree& tree) {
  const auto start = Clock::now();
  auto usage = tree.usage();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (usage) {
    spdlog::info("user={} usage scanned: {} bytes, {} files and folders ({} ms)", user,
                 usage->bytes, usage->entries, ms);
  } else {
    spdlog::warn("user={} usage scan failed: {}", user, usage.error().message);
  }
  return usage;
}

// The pool is joined before the ledger goes (know_usage's contract).
void rescan_in_background(Quota& ledger, asio::thread_pool& disk, const std::string& user,
                          const storage::UserTree& tree, const Quota::ScanTicket& ticket) {
  asio::post(disk, [&ledger, user, tree, ticket] {
    ledger.finish_scan(user, ticket, measure(user, tree), Clock::now());
  });
}

}  // namespace

awaitable<Result<void>> know_usage(Quota& ledger, asio::thread_pool& disk, Clock::duration wait,
                                   const std::string& user, const storage::UserTree& tree) {
  const auto deadline = Clock::now() + wait;
  std::optional<asio::steady_timer> timer;
  while (true) {
    const Quota::Plan plan = ledger.plan_scan(user, Clock::now());
    if (plan.known) {
      if (plan.scan) {
        rescan_in_background(ledger, disk, user, tree, plan.ticket);
      }
      co_return Result<void>();
    }
    if (plan.scan) {
      auto found = co_await run_blocking(disk, [&] { return measure(user, tree); });
      ledger.finish_scan(user, plan.ticket, found, Clock::now());
      if (!found) {
        co_return make_error(Errc::kIo,
                             "cannot measure the storage used: " + found.error().message);
      }
      continue;
    }
    // Another session of this user is measuring right now.
    if (Clock::now() >= deadline) {
      co_return make_error(Errc::kIo, "still measuring the storage used; try again");
    }
    if (!timer) {
      timer.emplace(co_await asio::this_coro::executor);
    }
    timer->expires_after(kScanPoll);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace sfs::files
