#include "server/admission.h"

#include <utility>

namespace sfs::server {

Admission::Ticket::Ticket(Ticket&& other) noexcept
    : admission_(std::exchange(other.admission_, nullptr)),
      source_(std::move(other.source_)),
      authenticated_(other.authenticated_) {}

Admission::Ticket::~Ticket() {
  if (admission_ != nullptr) {
    admission_->release(source_, authenticated_);
  }
}

void Admission::Ticket::logged_in() {
  if (admission_ != nullptr && !authenticated_) {
    authenticated_ = true;
    admission_->authenticate();
  }
}

std::optional<Admission::Ticket> Admission::admit(const std::string& source, std::string* why) {
  const std::lock_guard lock(mutex_);
  if (total_ >= limits_.total) {
    *why = "connection limit (" + std::to_string(limits_.total) + ") reached";
    return std::nullopt;
  }
  if (unauthenticated_ >= limits_.unauthenticated) {
    *why =
        "too many connections not logged in yet (" + std::to_string(limits_.unauthenticated) + ")";
    return std::nullopt;
  }
  unsigned& from_source = per_source_[source];
  if (from_source >= limits_.per_source) {
    *why = "per-address connection limit (" + std::to_string(limits_.per_source) + ") reached";
    return std::nullopt;
  }
  ++from_source;
  ++total_;
  ++unauthenticated_;
  return Ticket(this, source);
}

unsigned Admission::connections() const {
  const std::lock_guard lock(mutex_);
  return total_;
}

void Admission::authenticate() {
  const std::lock_guard lock(mutex_);
  --unauthenticated_;
}

void Admission::release(const std::string& source, bool authenticated) {
  const std::lock_guard lock(mutex_);
  --total_;
  if (!authenticated) {
    --unauthenticated_;
  }
  if (auto it = per_source_.find(source); it != per_source_.end() && --it->second == 0) {
    per_source_.erase(it);
  }
}

}  // namespace sfs::server
