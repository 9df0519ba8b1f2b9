#include "server/log_budget.h"

#include <algorithm>

namespace sfs::server {

std::optional<std::uint64_t> LogBudget::take(Clock::time_point now) {
  const Clock::time_point from = std::max(refilled_at_, now);
  // Allowed while what is already spent stays within burst - 1 lines.
  if (burst_ == 0 || from - now > every_ * (burst_ - 1)) {
    ++left_out_;
    return std::nullopt;
  }
  refilled_at_ = from + every_;
  const std::uint64_t left_out = left_out_;
  left_out_ = 0;
  return left_out;
}

}  // namespace sfs::server
