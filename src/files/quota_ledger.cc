#include "files/quota_ledger.h"

#include <algorithm>

namespace sfs::files {

Result<void> check_quota(std::uint64_t max_bytes, std::uint64_t max_entries, storage::Usage used,
                         storage::Usage held, storage::Usage needed, std::uint64_t replaced_bytes) {
  if (max_bytes > 0 && needed.bytes > 0) {
    const std::uint64_t taken = minus(used.bytes, replaced_bytes) + held.bytes;
    if (taken + needed.bytes > max_bytes) {
      return make_error(Errc::kTooLarge, "quota exceeded: " + std::to_string(taken) + " of " +
                                             std::to_string(max_bytes) +
                                             " bytes used, this file needs " +
                                             std::to_string(needed.bytes));
    }
  }
  if (max_entries > 0 && needed.entries > 0 &&
      used.entries + held.entries + needed.entries > max_entries) {
    return make_error(Errc::kTooLarge,
                      "quota exceeded: " + std::to_string(max_entries) + " files and folders");
  }
  return {};
}

QuotaLedger::Plan QuotaLedger::plan_scan(const std::string& user, Clock::time_point now) {
  if (!enabled()) {
    return {false, true, {}};
  }
  const std::lock_guard lock(mutex_);
  Account& account = accounts_[user];
  Plan plan;
  plan.known = account.used.has_value();
  const bool due = !plan.known || account.stale || now - account.scanned_at >= rescan_after_;
  if (due && !account.scanning) {
    account.scanning = true;
    plan.scan = true;
    plan.ticket.added_before = account.added;
  }
  return plan;
}

void QuotaLedger::finish_scan(const std::string& user, const ScanTicket& ticket,
                              const Result<Usage>& found, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  if (it == accounts_.end()) {
    return;
  }
  Account& account = it->second;
  account.scanning = false;
  if (!found) {
    if (account.used) {
      account.scanned_at = now;  // keep the booked usage; try again later, not at once
    }
    return;
  }
  account.used = Usage{found->bytes + (account.added.bytes - ticket.added_before.bytes),
                       found->entries + (account.added.entries - ticket.added_before.entries)};
  account.scanned_at = now;
  account.stale = false;
}

void QuotaLedger::mark_all_stale() {
  const std::lock_guard lock(mutex_);
  for (auto& [user, account] : accounts_) {
    account.stale = true;
  }
}

Result<void> QuotaLedger::check(const Account& account, Usage needed,
                                std::uint64_t replaced_bytes) const {
  return check_quota(limits_.bytes, limits_.entries, *account.used, account.reserved, needed,
                     replaced_bytes);
}

Result<QuotaLedger::Reservation> QuotaLedger::reserve(const std::string& user, Usage needed,
                                                      std::uint64_t replaced_bytes) {
  if (!enabled()) {
    return Reservation();
  }
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  if (it == accounts_.end() || !it->second.used) {
    return make_error(Errc::kIo, "storage usage not measured yet; try again");
  }
  Account& account = it->second;
  if (auto ok = check(account, needed, replaced_bytes); !ok) {
    return ok.error();
  }
  account.reserved.bytes += needed.bytes;
  account.reserved.entries += needed.entries;
  return Reservation(this, user, needed);
}

void QuotaLedger::record(const std::string& user, Usage added, Usage removed) {
  if (!enabled()) {
    return;
  }
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  if (it == accounts_.end()) {
    return;  // never measured: the first scan will find it all
  }
  Account& account = it->second;
  account.added.bytes += added.bytes;
  account.added.entries += added.entries;
  if (account.used) {
    Usage& used = *account.used;
    used.bytes = minus(used.bytes + added.bytes, removed.bytes);
    used.entries = minus(used.entries + added.entries, removed.entries);
  }
}

void QuotaLedger::release(const std::string& user, Usage amount) {
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  if (it == accounts_.end()) {
    return;
  }
  Usage& reserved = it->second.reserved;
  reserved.bytes = minus(reserved.bytes, amount.bytes);
  reserved.entries = minus(reserved.entries, amount.entries);
}

std::optional<QuotaLedger::Usage> QuotaLedger::used(const std::string& user) const {
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  return it == accounts_.end() ? std::nullopt : it->second.used;
}

QuotaLedger::Usage QuotaLedger::reserved(const std::string& user) const {
  const std::lock_guard lock(mutex_);
  auto it = accounts_.find(user);
  return it == accounts_.end() ? Usage{} : it->second.reserved;
}

}  // namespace sfs::files
