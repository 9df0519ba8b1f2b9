#pragma once
// The books of the quotas (--quota-bytes, --quota-files) as UserFiles uses
// them: per user, what their tree takes and what their operations in
// flight have reserved. Shared state: one server keeps it in memory
// (QuotaLedger, files/quota_ledger.h); a cluster of nodes keeps it in its
// database (pg::PgQuota, pg/pg_quota.h) behind this same interface.
//
//   auto plan = quota.plan_scan("alice", now);
//   if (plan.scan) quota.finish_scan("alice", plan.ticket, tree.usage(), now);
//   auto held = quota.reserve("alice", {size, 1}, replaced_bytes);  // check + hold
//   if (!held) return held.error();          // "quota exceeded: ..."
//   auto replaced = upload.commit();
//   quota.record("alice", {size, 1}, *replaced);
//   // ~Reservation gives the hold back
//
// Implementations are thread-safe: the sessions of one user run on
// different threads. One that blocks (a database) says where its calls
// must run (blocking_pool()); files/ then runs plan_scan(), reserve() and
// used() there (quota_call() below), and such an implementation makes
// record(), finish_scan(), mark_all_stale() and a Reservation's release
// return at once (it queues them, in order, on the same pool).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asio/asio.h"
#include "asio/offload.h"
#include "base/result.h"
#include "storage/usage.h"

namespace sfs::files {

class Quota {
 public:
  using Clock = std::chrono::steady_clock;
  using Usage = storage::Usage;

  // Gives its share back to the books when destroyed.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Quota* quota, std::string user, Usage amount)
        : quota_(quota), user_(std::move(user)), amount_(amount) {}
    Reservation(Reservation&& other) noexcept
        : quota_(std::exchange(other.quota_, nullptr)),
          user_(std::move(other.user_)),
          amount_(other.amount_) {}
    Reservation& operator=(Reservation&& other) noexcept {
      if (this != &other) {
        release();
        quota_ = std::exchange(other.quota_, nullptr);
        user_ = std::move(other.user_);
        amount_ = other.amount_;
      }
      return *this;
    }
    ~Reservation() { release(); }

   private:
    void release() {
      if (quota_ != nullptr) {
        quota_->release(user_, amount_);
        quota_ = nullptr;
      }
    }
    Quota* quota_ = nullptr;
    std::string user_;
    Usage amount_;
  };

  // Identifies a scan from plan_scan() to finish_scan().
  struct ScanTicket {
    Usage added_before;  // what record() had added when the scan began
  };

  // What a caller must do before a check of the user's quota.
  struct Plan {
    bool scan = false;   // run a scan now and give its result to finish_scan()
    bool known = false;  // the usage is known: the check may go ahead now
    ScanTicket ticket;
  };

  virtual ~Quota() = default;

  // False without quotas: then every call is a no-op and reserve() passes.
  virtual bool enabled() const = 0;
  // Whether the user's usage must be measured before a check (see
  // QuotaLedger for the rules), and installing what a scan found.
  virtual Plan plan_scan(const std::string& user, Clock::time_point now) = 0;
  virtual void finish_scan(const std::string& user, const ScanTicket& ticket,
                           const Result<Usage>& found, Clock::time_point now) = 0;
  // Checks that `needed` fits the user's quota on top of what is stored
  // (less `replaced_bytes`, a file the operation replaces) and what the
  // user's other operations in flight reserved, and reserves it until the
  // Reservation goes. kTooLarge "quota exceeded: ..." over a limit; kIo
  // when the usage is not known yet (plan_scan first).
  virtual Result<Reservation> reserve(const std::string& user, Usage needed,
                                      std::uint64_t replaced_bytes = 0) = 0;
  // Books what an operation added to and removed from a known usage.
  virtual void record(const std::string& user, Usage added, Usage removed) = 0;
  // The usage as booked (nullopt: not known yet) and what operations in
  // flight reserved.
  virtual std::optional<Usage> used(const std::string& user) const = 0;
  virtual Usage reserved(const std::string& user) const = 0;
  // Makes every known usage due for a rescan (files went behind the
  // books' back, e.g. the cleaner removed old partial uploads).
  virtual void mark_all_stale() = 0;
  // nullptr: the calls do not block and may run anywhere (in memory).
  // Otherwise the pool where plan_scan(), reserve(), used() and reserved()
  // must run (a database's calls block: never on the network threads).
  virtual asio::thread_pool* blocking_pool() { return nullptr; }

 protected:
  // Gives a Reservation's share back.
  virtual void release(const std::string& user, Usage amount) = 0;
};

// a - b, or 0 when b is larger (usage never goes below nothing).
inline std::uint64_t minus(std::uint64_t a, std::uint64_t b) { return a - std::min(a, b); }

// The quota rule every ledger applies: `needed` fits on top of what the
// tree takes (`used`, less the `replaced_bytes` the operation overwrites)
// and what operations in flight hold (`held`); a limit of 0 is none.
// kTooLarge "quota exceeded: ..." otherwise.
Result<void> check_quota(std::uint64_t max_bytes, std::uint64_t max_entries, storage::Usage used,
                         storage::Usage held, storage::Usage needed, std::uint64_t replaced_bytes);

}  // namespace sfs::files

namespace sfs::files {

// Runs fn() (a call of `quota`'s that returns something) where `quota`
// wants it: inline, or on its blocking pool.
template <typename F>
awaitable<std::invoke_result_t<F>> quota_call(Quota& quota, F fn) {
  if (asio::thread_pool* pool = quota.blocking_pool(); pool != nullptr) {
    co_return co_await run_blocking(*pool, std::move(fn));
  }
  co_return fn();
}

}  // namespace sfs::files
