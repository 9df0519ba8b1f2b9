#pragma once
// Uploads in flight, per user, so that concurrent uploads cannot together
// pass a quota each of them fits alone: the quota is checked against what
// is stored plus what the user's other uploads have announced.
//
//   auto held = ledger.reserve("alice", size, 1, [&](Reserved others) {
//     return check_quota(usage, others, size);
//   });                                  // the check and the entry are atomic
//   if (!held) return held.error();     // ~Reservation releases the entry

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "base/result.h"

namespace sfs::server {

class QuotaLedger {
 public:
  struct Reserved {
    std::uint64_t bytes = 0;
    std::uint64_t files = 0;
  };

  // Releases its entry when destroyed.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(QuotaLedger* ledger, std::string user, Reserved amount)
        : ledger_(ledger), user_(std::move(user)), amount_(amount) {}
    Reservation(Reservation&& other) noexcept
        : ledger_(std::exchange(other.ledger_, nullptr)),
          user_(std::move(other.user_)),
          amount_(other.amount_) {}
    Reservation& operator=(Reservation&& other) noexcept {
      if (this != &other) {
        release();
        ledger_ = std::exchange(other.ledger_, nullptr);
        user_ = std::move(other.user_);
        amount_ = other.amount_;
      }
      return *this;
    }
    ~Reservation() { release(); }

   private:
    void release() {
      if (ledger_ != nullptr) {
        ledger_->release(user_, amount_);
        ledger_ = nullptr;
      }
    }
    QuotaLedger* ledger_ = nullptr;
    std::string user_;
    Reserved amount_;
  };

  // Runs `check` with what `user`'s other uploads have reserved and, when it
  // passes, reserves `amount` too; both under one lock, so two uploads
  // cannot both be checked before either is counted.
  Result<Reservation> reserve(const std::string& user, Reserved amount,
                              const std::function<Result<void>(Reserved others)>& check) {
    const std::lock_guard lock(mutex_);
    Reserved& entry = reserved_[user];
    if (auto ok = check(entry); !ok) {
      if (entry.bytes == 0 && entry.files == 0) {
        reserved_.erase(user);
      }
      return ok.error();
    }
    entry.bytes += amount.bytes;
    entry.files += amount.files;
    return Reservation(this, user, amount);
  }

 private:
  void release(const std::string& user, Reserved amount) {
    const std::lock_guard lock(mutex_);
    auto it = reserved_.find(user);
    if (it == reserved_.end()) {
      return;
    }
    it->second.bytes -= amount.bytes;
    it->second.files -= amount.files;
    if (it->second.bytes == 0 && it->second.files == 0) {
      reserved_.erase(it);  // at most one entry per user with uploads running
    }
  }

  std::mutex mutex_;
  std::map<std::string, Reserved> reserved_;
};

}  // namespace sfs::server
