#include "files/usage_scan.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

namespace sfs::files {
namespace {

using Clock = Quota::Clock;

// How often a session waiting for another session's scan looks again.
constexpr auto kScanPoll = std::chrono::milliseconds(20);

// Measures the space and logs it: one record per scan, so the log shows how
// rarely it happens.
awaitable<Result<storage::Usage>> measure(const std::string& user, storage::Space& space) {
  const auto start = Clock::now();
  auto usage = co_await space.usage();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (usage) {
    spdlog::info("user={} usage scanned: {} bytes, {} files and folders ({} ms)", user,
                 usage->bytes, usage->entries, ms);
  } else {
    spdlog::warn("user={} usage scan failed: {}", user, usage.error().message);
  }
  co_return usage;
}

awaitable<void> rescan(Quota& ledger, storage::Backend& backend, std::string user,
                       Quota::ScanTicket ticket) {
  auto space = co_await backend.open_space(user);
  if (!space) {
    ledger.finish_scan(user, ticket, space.error(), Clock::now());
    co_return;
  }
  Result<storage::Usage> found = co_await measure(user, **space);
  ledger.finish_scan(user, ticket, found, Clock::now());
}

}  // namespace

awaitable<Result<void>> know_usage(Quota& ledger, storage::Backend& backend, Clock::duration wait,
                                   const std::string& user, storage::Space& space) {
  const auto deadline = Clock::now() + wait;
  std::optional<asio::steady_timer> timer;
  while (true) {
    auto plan_now = [&ledger, &user] { return ledger.plan_scan(user, Clock::now()); };
    const Quota::Plan plan = co_await quota_call(ledger, plan_now);
    if (plan.known) {
      if (plan.scan) {
        auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, rescan(ledger, backend, user, plan.ticket), asio::detached);
      }
      co_return Result<void>();
    }
    if (plan.scan) {
      auto found = co_await measure(user, space);
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
