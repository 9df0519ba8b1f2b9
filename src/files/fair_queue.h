#pragma once
// Slow jobs of users (HASH of a file without a stored digest, VERIFY of a
// whole tree) on threads of their own, apart from the transfers, the logins
// and the short disk work. Users take turns: the next free thread takes the
// oldest job of the next user in turn, and a user runs one job at a time, so
// one user's many queued jobs never stand between another user's job and a
// thread; each user may have at most `max_per_user` jobs waiting or running.
//
//   FairQueue jobs(2, 8);
//   auto queued = jobs.submit("alice", [](bool run) { if (run) work(); report(); });
//   if (!queued) reply(queued.error());  // alice has 8 jobs already
//   jobs.stop();                          // at shutdown

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"

namespace sfs::files {

class FairQueue {
 public:
  // Called once, on one of the queue's threads; `run` is false when the
  // queue stopped before the job's turn came (skip the work, but report).
  using Job = std::function<void(bool run)>;

  FairQueue(unsigned threads, unsigned max_per_user);
  ~FairQueue();
  FairQueue(const FairQueue&) = delete;
  FairQueue& operator=(const FairQueue&) = delete;

  // Queues `job` for `user`. kTooLarge (a one-line message saying how many
  // are allowed) when the user already has `max_per_user` jobs waiting or
  // running; kIo once the queue is stopping.
  Result<void> submit(const std::string& user, Job job);
  // Waits for the running jobs, then calls the waiting ones with
  // run = false (on the calling thread) and ends the threads. Idempotent.
  void stop();

  // Jobs waiting for a thread, of all users (for tests).
  std::size_t waiting() const;
  // True once stop() began: a job that waits for something else should give
  // up its thread.
  bool stopping() const;

 private:
  struct PerUser {
    std::deque<Job> waiting;
    unsigned running = 0;
  };

  void work();
  // Takes the next job in turn, or returns false when no user with jobs
  // waiting is free to run one. Needs mutex_ held.
  bool take(std::string& user, Job& job);
  void finished(const std::string& user);

  const unsigned max_per_user_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, PerUser> users_;  // users with jobs waiting or running
  std::deque<std::string> turns_;         // users with jobs waiting, next first
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sfs::files
