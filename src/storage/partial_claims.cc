// One process's claims on partials (storage/partial_claims.h).

#include "storage/partial_claims.h"

namespace sfs::storage {

Result<bool> MemoryPartialClaims::claim(const std::string& sidecar) {
  const std::lock_guard lock(mutex_);
  return claimed_.insert(sidecar).second;
}

void MemoryPartialClaims::unclaim(const std::string& sidecar) {
  const std::lock_guard lock(mutex_);
  claimed_.erase(sidecar);
}

Result<bool> MemoryPartialClaims::is_claimed(const std::string& sidecar) {
  const std::lock_guard lock(mutex_);
  return claimed_.contains(sidecar);
}

// A multiset: holding is counted, so a release matches one hold.
void MemoryPartialClaims::hold_upload(const std::string& upload_id) {
  const std::lock_guard lock(mutex_);
  uploads_.insert(upload_id);
}

void MemoryPartialClaims::release_upload(const std::string& upload_id) {
  const std::lock_guard lock(mutex_);
  if (auto it = uploads_.find(upload_id); it != uploads_.end()) {
    uploads_.erase(it);
  }
}

Result<bool> MemoryPartialClaims::holds_upload(const std::string& upload_id) {
  const std::lock_guard lock(mutex_);
  return uploads_.contains(upload_id);
}

}  // namespace sfs::storage
