#pragma once
// A budget of log lines for events an attacker can cause at will (refused
// and evicted connections), so that they cannot flood the log: a burst of
// `burst` lines, then one line per `every`. Lines over the budget are
// counted, and the next line that fits tells how many were left out.
//
//   LogBudget budget(20, std::chrono::seconds(1));
//   if (const auto left_out = budget.take(Clock::now())) {
//     if (*left_out > 0) log("{} lines left out", *left_out);
//     log(line);
//   }
//
// Not thread-safe: meant for one user, such as the accept loop.

#include <chrono>
#include <cstdint>
#include <optional>

namespace sfs::server {

class LogBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // `burst` at least 1.
  LogBudget(unsigned burst, Clock::duration every) : burst_(burst), every_(every) {}

  // Whether a line may be logged at `now`: nullopt when over the budget (the
  // line is counted as left out), else how many lines were left out since
  // the last one allowed.
  std::optional<std::uint64_t> take(Clock::time_point now);

 private:
  unsigned burst_;
  Clock::duration every_;
  // When the budget is whole again ("theoretical arrival time" of the
  // generic cell rate algorithm): each allowed line pushes it by `every_`.
  Clock::time_point refilled_at_{};
  std::uint64_t left_out_ = 0;
};

}  // namespace sfs::server
