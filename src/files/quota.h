#pragma once
// The books of the quotas (--quota-bytes, --quota-files) as UserFiles uses
// them: per user, what their tree takes and what their operations in
// flight have reserved. Shared state: one server keeps it in memory
// (QuotaLedger, files/quota_ledger.h); a cluster of nodes will keep it in
// its database behind this same interface.
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
// different threads.

#include <chrono>
#include <optional>
#include <string>
#include <utility>

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

 protected:
  // Gives a Reservation's share back.
  virtual void release(const std::string& user, Usage amount) = 0;
};

}  // namespace sfs::files
