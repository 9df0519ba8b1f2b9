#pragma once
// The quotas' books (--quota-bytes, --quota-files): per user, what their tree
// takes and what their operations in flight have reserved, in memory for the
// server process, so that no request walks a tree.
//
// A user's usage is measured by one scan of their tree (run off the network
// threads) the first time a check needs it, kept up to date by the server's
// own operations through record(), and measured again in the background
// once older than `rescan_after`, to take in changes made outside the
// server. Entries are files, folders and kept partial uploads.
//
//   auto plan = ledger.plan_scan("alice", now);
//   if (plan.scan) ledger.finish_scan("alice", plan.ticket, tree.usage(), now);
//   auto held = ledger.reserve("alice", {size, 1}, replaced_bytes);  // check + hold
//   if (!held) return held.error();          // "quota exceeded: ..."
//   auto replaced = upload.commit();
//   ledger.record("alice", {size, 1}, *replaced);
//   // ~Reservation gives the hold back
//
// Thread-safe: the sessions of one user run on different threads. The
// interface UserFiles sees is files::Quota (files/quota.h).

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "base/result.h"
#include "files/quota.h"
#include "storage/usage.h"

namespace sfs::files {

// The in-memory Quota of one server process.
class QuotaLedger final : public Quota {
 public:
  // 0: no limit.
  struct Limits {
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;
  };

  QuotaLedger(Limits limits, Clock::duration rescan_after)
      : limits_(limits), rescan_after_(rescan_after) {}

  // False without quotas: then every call is a no-op and reserve() passes.
  bool enabled() const override { return limits_.bytes > 0 || limits_.entries > 0; }

  // Unknown usage: the first caller gets {scan}, the others {} until it
  // ends (they wait and ask again). Known but due for a rescan: one caller
  // gets {scan, known} (to scan in the background), the others {known}.
  Plan plan_scan(const std::string& user, Clock::time_point now) override;
  // Installs what a scan found: plus what record() added while it ran (the
  // scan may have missed it), minus nothing (it may have seen what went),
  // so a scan racing with changes errs high, never low, until the next one.
  // A failed scan changes nothing; the next plan_scan() asks for another.
  void finish_scan(const std::string& user, const ScanTicket& ticket, const Result<Usage>& found,
                   Clock::time_point now) override;
  // Makes every known usage due for a rescan (files went behind the
  // ledger's back, e.g. the cleaner removed old partial uploads).
  void mark_all_stale() override;

  // Checks that `needed` fits the user's quota on top of what is stored
  // (less `replaced_bytes`, a file the operation replaces) and what the
  // user's other operations in flight reserved, and reserves it until the
  // Reservation goes; both under one lock. The bytes limit is checked when
  // `needed.bytes` > 0, the entries limit when `needed.entries` > 0.
  // kTooLarge "quota exceeded: ..." over a limit; kIo when the usage is
  // not known yet (plan_scan first).
  Result<Reservation> reserve(const std::string& user, Usage needed,
                              std::uint64_t replaced_bytes = 0) override;
  // Books what an operation added to and removed from a known usage.
  void record(const std::string& user, Usage added, Usage removed) override;

  // For tests and logs: the usage as booked (nullopt: not known yet) and
  // what operations in flight reserved.
  std::optional<Usage> used(const std::string& user) const override;
  Usage reserved(const std::string& user) const override;

 private:
  struct Account {
    std::optional<Usage> used;  // nullopt until the first scan ends
    Usage reserved;
    Usage added;  // everything record() ever added: see finish_scan()
    Clock::time_point scanned_at;
    bool scanning = false;
    bool stale = false;
  };

  void release(const std::string& user, Usage amount) override;
  Result<void> check(const Account& account, Usage needed, std::uint64_t replaced_bytes) const;

  const Limits limits_;
  const Clock::duration rescan_after_;
  mutable std::mutex mutex_;
  // One account per user who used a quota-checked operation since start.
  std::map<std::string, Account, std::less<>> accounts_;
};

}  // namespace sfs::files
