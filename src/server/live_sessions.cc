#include "server/live_sessions.h"

#include <algorithm>
#include <utility>

namespace sfs::server {

LiveSessions::Entry::Entry(Entry&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), it_(other.it_) {}

LiveSessions::Entry::~Entry() {
  if (owner_ != nullptr) {
    const std::lock_guard lock(owner_->mutex_);
    owner_->items_.erase(it_);
  }
}

void LiveSessions::Entry::logged_in(const std::string& user) {
  const std::lock_guard lock(owner_->mutex_);
  it_->user = user;
}

std::optional<LiveSessions::Why> LiveSessions::Entry::ended() const {
  const int why = it_->ended.load();
  return why < 0 ? std::nullopt : std::optional<Why>(static_cast<Why>(why));
}

LiveSessions::Entry LiveSessions::add(Stop stop) {
  const std::lock_guard lock(mutex_);
  return Entry(this, items_.emplace(items_.end(), std::move(stop)));
}

void LiveSessions::stop_all(Why why) {
  const std::lock_guard lock(mutex_);
  for (Item& item : items_) {
    item.stop(why);
  }
}

std::size_t LiveSessions::end_sessions_of(const std::vector<std::string>& users, Why why) {
  if (users.empty()) {
    return 0;
  }
  std::vector<std::string_view> sorted(users.begin(), users.end());
  std::sort(sorted.begin(), sorted.end());
  std::size_t ended = 0;
  const std::lock_guard lock(mutex_);
  for (Item& item : items_) {
    if (item.user.empty() || !std::binary_search(sorted.begin(), sorted.end(), item.user)) {
      continue;
    }
    int none = -1;
    if (item.ended.compare_exchange_strong(none, static_cast<int>(why))) {
      item.stop(why);
      ++ended;
    }
  }
  return ended;
}

std::size_t LiveSessions::size() const {
  const std::lock_guard lock(mutex_);
  return items_.size();
}

std::string_view LiveSessions::reason(Why why) {
  switch (why) {
    case Why::kAccountDeleted:
      return "the account was deleted";
    case Why::kPasswordChanged:
      return "the password was changed";
    case Why::kDrain:
      break;
  }
  return "the server is stopping";
}

std::string LiveSessions::message(Why why) {
  std::string out = "session ended: " + std::string(reason(why));
  if (why == Why::kPasswordChanged) {
    out += "; log in again";
  }
  return out;
}

}  // namespace sfs::server
