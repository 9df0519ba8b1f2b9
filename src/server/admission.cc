#include "server/admission.h"

#include <algorithm>
#include <utility>

namespace sfs::server {

Admission::Ticket::Ticket(Ticket&& other) noexcept
    : counts_(std::move(other.counts_)),
      source_(std::move(other.source_)),
      id_(other.id_),
      logged_in_(other.logged_in_) {}

Admission::Ticket::~Ticket() {
  if (counts_) {
    counts_->release(id_, source_, logged_in_);
  }
}

bool Admission::Ticket::logged_in() {
  if (!counts_) {
    return false;
  }
  if (logged_in_) {
    return true;
  }
  std::function<void()> unused;  // destroyed after the lock is released
  const std::lock_guard lock(counts_->mutex);
  const auto it = counts_->waiting.find(id_);
  if (it == counts_->waiting.end()) {
    return false;  // evicted
  }
  unused = std::move(it->second.evict);
  counts_->waiting.erase(it);
  if (auto source = counts_->sources.find(source_); source != counts_->sources.end()) {
    --source->second.waiting;
  }
  logged_in_ = true;
  return true;
}

bool Admission::Ticket::on_evict(std::function<void()> close) {
  if (!counts_) {
    return false;
  }
  if (logged_in_) {
    return true;
  }
  const std::lock_guard lock(counts_->mutex);
  const auto it = counts_->waiting.find(id_);
  if (it == counts_->waiting.end()) {
    return false;  // evicted before its session started
  }
  it->second.evict = std::move(close);
  return true;
}

bool Admission::Ticket::evicted() const {
  if (!counts_ || logged_in_) {
    return false;
  }
  const std::lock_guard lock(counts_->mutex);
  return !counts_->waiting.contains(id_);
}

Admission::Verdict Admission::admit(const std::string& source) {
  Verdict verdict;
  std::function<void()> close_victim;  // run once the lock is released
  {
    const std::lock_guard lock(counts_->mutex);
    verdict.refusal = refusal(source);
    if (!verdict.refusal.empty()) {
      return verdict;
    }
    if (counts_->waiting.size() >= limits_.unauthenticated) {
      const auto victim = victim_for(source, &verdict.refusal);
      if (victim == counts_->waiting.end()) {
        return verdict;
      }
      // The victim's slots go to the newcomer now: its connection is as
      // good as closed, and its ticket will give nothing back.
      verdict.evicted = victim->second.source;
      verdict.evicted_held = waiting_of(verdict.evicted);
      close_victim = std::move(victim->second.evict);
      counts_->drop(verdict.evicted, true);
      counts_->waiting.erase(victim);
    }
    const std::uint64_t id = counts_->next_id++;
    counts_->waiting.emplace(id, Counts::Waiting{source, {}});
    Counts::Source& from = counts_->sources[source];
    ++from.connections;
    ++from.waiting;
    ++counts_->total;
    verdict.ticket.emplace(Ticket(counts_, source, id));
  }
  if (close_victim) {
    close_victim();
  }
  return verdict;
}

std::string Admission::refusal(const std::string& source) const {
  if (counts_->total >= limits_.total) {
    return "connection limit (" + std::to_string(limits_.total) + ") reached";
  }
  const auto it = counts_->sources.find(source);
  const unsigned held = it == counts_->sources.end() ? 0 : it->second.connections;
  if (held >= limits_.per_source) {
    return "per-address connection limit (" + std::to_string(limits_.per_source) + ") reached";
  }
  return {};
}

unsigned Admission::waiting_of(const std::string& source) const {
  const auto it = counts_->sources.find(source);
  return it == counts_->sources.end() ? 0 : it->second.waiting;
}

std::map<std::uint64_t, Admission::Counts::Waiting>::iterator Admission::victim_for(
    const std::string& source, std::string* why) const {
  auto& waiting = counts_->waiting;
  const std::string full =
      "too many connections not logged in yet (" + std::to_string(limits_.unauthenticated) + ")";
  const unsigned held = waiting_of(source);
  if (held >= limits_.share_per_source) {
    *why = full + ", and this address holds its share of them (" +
           std::to_string(limits_.share_per_source) + ")";
    return waiting.end();
  }
  unsigned most = 0;
  for (const auto& [id, entry] : waiting) {
    most = std::max(most, waiting_of(entry.source));
  }
  if (held >= most) {  // it would only take its own place or an equal's
    *why = full + ", and this address holds as many of them as any";
    return waiting.end();
  }
  // Oldest first: the first connection of a biggest holder is its oldest,
  // and of those tied, the oldest overall.
  return std::find_if(waiting.begin(), waiting.end(),
                      [&](const auto& entry) { return waiting_of(entry.second.source) == most; });
}

unsigned Admission::connections() const {
  const std::lock_guard lock(counts_->mutex);
  return counts_->total;
}

unsigned Admission::not_logged_in() const {
  const std::lock_guard lock(counts_->mutex);
  return static_cast<unsigned>(counts_->waiting.size());
}

void Admission::Counts::drop(const std::string& source, bool was_waiting) {
  --total;
  const auto it = sources.find(source);
  if (it == sources.end()) {
    return;
  }
  if (was_waiting) {
    --it->second.waiting;
  }
  if (--it->second.connections == 0) {
    sources.erase(it);
  }
}

void Admission::Counts::release(std::uint64_t id, const std::string& source, bool logged_in) {
  std::function<void()> unused;  // destroyed after the lock is released
  const std::lock_guard lock(mutex);
  if (logged_in) {
    drop(source, false);
    return;
  }
  const auto it = waiting.find(id);
  if (it == waiting.end()) {
    return;  // evicted: its slots were given back then
  }
  unused = std::move(it->second.evict);
  waiting.erase(it);
  drop(source, true);
}

}  // namespace sfs::server
