#include "files/fair_queue.h"

#include <algorithm>
#include <utility>

namespace sfs::files {

FairQueue::FairQueue(unsigned threads, unsigned max_per_user)
    : max_per_user_(std::max(1U, max_per_user)) {
  for (unsigned i = 0; i < std::max(1U, threads); ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

FairQueue::~FairQueue() { stop(); }

Result<void> FairQueue::submit(const std::string& user, Job job) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) {
      return make_error(Errc::kIo, "server stopping");
    }
    PerUser& mine = users_[user];
    if (mine.waiting.size() + mine.running >= max_per_user_) {
      return make_error(Errc::kTooLarge,
                        "busy: " + std::to_string(max_per_user_) +
                            " slow requests (HASH, VERIFY) of this user already queued; "
                            "try again when one has ended");
    }
    if (mine.waiting.empty()) {
      turns_.push_back(user);
    }
    mine.waiting.push_back(std::move(job));
  }
  wake_.notify_one();
  return {};
}

bool FairQueue::take(std::string& user, Job& job) {
  // The first user in turn who is not running a job already; the skipped
  // ones keep their place.
  auto it = std::find_if(turns_.begin(), turns_.end(),
                         [this](const std::string& u) { return users_[u].running == 0; });
  if (it == turns_.end()) {
    return false;
  }
  user = std::move(*it);
  turns_.erase(it);
  PerUser& mine = users_[user];
  job = std::move(mine.waiting.front());
  mine.waiting.pop_front();
  ++mine.running;
  if (!mine.waiting.empty()) {
    turns_.push_back(user);  // to the back of the line for the next one
  }
  return true;
}

void FairQueue::finished(const std::string& user) {
  {
    const std::lock_guard lock(mutex_);
    auto it = users_.find(user);
    if (--it->second.running == 0 && it->second.waiting.empty()) {
      users_.erase(it);
    }
  }
  wake_.notify_all();  // this user may run its next job now, on any thread
}

void FairQueue::work() {
  while (true) {
    std::string user;
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || take(user, job); });
      if (!job) {
        return;  // stopping, and nothing taken
      }
    }
    job(true);
    job = nullptr;  // what the job holds goes before the next one starts
    finished(user);
  }
}

void FairQueue::stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
  std::vector<Job> skipped;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [user, mine] : users_) {
      for (Job& job : mine.waiting) {
        skipped.push_back(std::move(job));
      }
    }
    users_.clear();
    turns_.clear();
  }
  for (Job& job : skipped) {
    job(false);
  }
}

bool FairQueue::stopping() const {
  const std::lock_guard lock(mutex_);
  return stopping_;
}

std::size_t FairQueue::waiting() const {
  const std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [user, mine] : users_) {
    n += mine.waiting.size();
  }
  return n;
}

}  // namespace sfs::files
