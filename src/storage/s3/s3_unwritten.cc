// Kept partials whose sidecar the store did not take
// (storage/s3/s3_unwritten.h).

#include "storage/s3/s3_unwritten.h"

#include <utility>

namespace sfs::storage::s3 {

bool UnwrittenPartials::keep(UnwrittenPartial entry, std::optional<UnwrittenPartial>& replaced) {
  const std::lock_guard lock(mutex_);
  replaced.reset();
  auto it = kept_.find(entry.sidecar);
  if (it != kept_.end()) {
    replaced = std::move(it->second);
    it->second = std::move(entry);
    return true;
  }
  if (kept_.size() >= kMaxKept) {
    return false;
  }
  std::string sidecar = entry.sidecar;
  kept_.emplace(std::move(sidecar), std::move(entry));
  return true;
}

std::optional<UnwrittenPartial> UnwrittenPartials::take(const std::string& sidecar) {
  const std::lock_guard lock(mutex_);
  auto node = kept_.extract(sidecar);
  if (node.empty()) {
    return std::nullopt;
  }
  return std::move(node.mapped());
}

std::vector<std::string> UnwrittenPartials::sidecars() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(kept_.size());
  for (const auto& [sidecar, entry] : kept_) {
    out.push_back(sidecar);
  }
  return out;
}

std::size_t UnwrittenPartials::size() const {
  const std::lock_guard lock(mutex_);
  return kept_.size();
}

}  // namespace sfs::storage::s3
