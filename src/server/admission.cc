#include "server/admission.h"

#include <utility>

namespace sfs::server {

Admission::Ticket::Ticket(Ticket&& other) noexcept
    : counts_(std::move(other.counts_)),
      source_(std::move(other.source_)),
      authenticated_(other.authenticated_) {}

Admission::Ticket::~Ticket() {
  if (counts_) {
    counts_->release(source_, authenticated_);
  }
}

void Admission::Ticket::logged_in() {
  if (counts_ && !authenticated_) {
    authenticated_ = true;
    counts_->authenticate();
  }
}

std::optional<Admission::Ticket> Admission::admit(const std::string& source, std::string* why) {
  const std::lock_guard lock(counts_->mutex);
  if (counts_->total >= limits_.total) {
    *why = "connection limit (" + std::to_string(limits_.total) + ") reached";
    return std::nullopt;
  }
  if (counts_->unauthenticated >= limits_.unauthenticated) {
    *why =
        "too many connections not logged in yet (" + std::to_string(limits_.unauthenticated) + ")";
    return std::nullopt;
  }
  unsigned& from_source = counts_->per_source[source];
  if (from_source >= limits_.per_source) {
    if (from_source == 0) {
      counts_->per_source.erase(source);  // a limit of 0 must not leave entries behind
    }
    *why = "per-address connection limit (" + std::to_string(limits_.per_source) + ") reached";
    return std::nullopt;
  }
  ++from_source;
  ++counts_->total;
  ++counts_->unauthenticated;
  return Ticket(counts_, source);
}

unsigned Admission::connections() const {
  const std::lock_guard lock(counts_->mutex);
  return counts_->total;
}

void Admission::Counts::authenticate() {
  const std::lock_guard lock(mutex);
  --unauthenticated;
}

void Admission::Counts::release(const std::string& source, bool authenticated) {
  const std::lock_guard lock(mutex);
  --total;
  if (!authenticated) {
    --unauthenticated;
  }
  if (auto it = per_source.find(source); it != per_source.end() && --it->second == 0) {
    per_source.erase(it);
  }
}

}  // namespace sfs::server
