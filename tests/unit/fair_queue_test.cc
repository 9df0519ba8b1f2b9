#include "files/fair_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sfs::files {
namespace {

// A door the jobs wait at until the test opens it, and a log of what ran.
class Gate {
 public:
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return open_; });
  }
  void note(const std::string& what) {
    {
      const std::lock_guard lock(mutex_);
      log_.push_back(what);
    }
    changed_.notify_all();
  }
  // Waits (at most 10 s) until `n` notes are in; returns them.
  std::vector<std::string> notes(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return log_.size() >= n; });
    return log_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  std::vector<std::string> log_;
};

FairQueue::Job noting(Gate& gate, const std::string& name) {
  return [&gate, name](bool run) { gate.note(run ? name : "skipped " + name); };
}

FairQueue::Job blocking(Gate& gate, const std::string& name) {
  return [&gate, name](bool run) {
    gate.note("started " + name);
    if (run) {
      gate.wait();
    }
  };
}

TEST(FairQueueTest, UsersTakeTurnsWhateverTheOrderTheyQueuedIn) {
  FairQueue queue(1, 8);
  Gate gate;
  ASSERT_TRUE(queue.submit("x", blocking(gate, "x")).ok());  // holds the one thread
  ASSERT_EQ(gate.notes(1).size(), 1U);
  for (const char* job : {"a1", "a2", "a3"}) {
    ASSERT_TRUE(queue.submit("alice", noting(gate, job)).ok());
  }
  ASSERT_TRUE(queue.submit("bob", noting(gate, "b1")).ok());
  ASSERT_TRUE(queue.submit("alice", noting(gate, "a4")).ok());
  ASSERT_TRUE(queue.submit("carol", noting(gate, "c1")).ok());
  EXPECT_EQ(queue.waiting(), 6U);
  gate.open();
  EXPECT_EQ(gate.notes(7),
            std::vector<std::string>({"started x", "a1", "b1", "c1", "a2", "a3", "a4"}));
}

TEST(FairQueueTest, AUserRunsOneJobAtATimeSoAnotherUserGetsTheFreeThread) {
  FairQueue queue(2, 8);
  Gate gate;
  ASSERT_TRUE(queue.submit("alice", blocking(gate, "a1")).ok());
  ASSERT_TRUE(queue.submit("alice", blocking(gate, "a2")).ok());
  ASSERT_TRUE(queue.submit("alice", blocking(gate, "a3")).ok());
  ASSERT_EQ(gate.notes(1), std::vector<std::string>({"started a1"}));
  // The second thread is free, but alice's a2 waits for her a1: bob's job
  // runs at once.
  ASSERT_TRUE(queue.submit("bob", noting(gate, "b1")).ok());
  EXPECT_EQ(gate.notes(2), std::vector<std::string>({"started a1", "b1"}));
  EXPECT_EQ(queue.waiting(), 2U);
  gate.open();
  EXPECT_EQ(gate.notes(4),
            std::vector<std::string>({"started a1", "b1", "started a2", "started a3"}));
}

TEST(FairQueueTest, AUserPastTheCapIsRefusedOthersAreNot) {
  FairQueue queue(1, 3);
  Gate gate;
  ASSERT_TRUE(queue.submit("alice", blocking(gate, "a1")).ok());
  ASSERT_TRUE(queue.submit("alice", noting(gate, "a2")).ok());
  ASSERT_TRUE(queue.submit("alice", noting(gate, "a3")).ok());
  auto refused = queue.submit("alice", noting(gate, "a4"));  // 3 waiting or running
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kTooLarge);
  EXPECT_EQ(refused.error().message,
            "busy: 3 slow requests (HASH, VERIFY) of this user already queued; "
            "try again when one has ended");
  EXPECT_TRUE(queue.submit("bob", noting(gate, "b1")).ok());
  gate.open();
  EXPECT_EQ(gate.notes(4).size(), 4U);  // a1, a2, b1, a3: the cap frees again
  EXPECT_TRUE(queue.submit("alice", noting(gate, "a5")).ok());
  EXPECT_EQ(gate.notes(5).back(), "a5");
}

TEST(FairQueueTest, StopSkipsTheWaitingJobsButReportsThem) {
  Gate gate;
  FairQueue queue(1, 8);
  ASSERT_TRUE(queue.submit("alice", blocking(gate, "a1")).ok());
  ASSERT_EQ(gate.notes(1).size(), 1U);
  ASSERT_TRUE(queue.submit("bob", noting(gate, "b1")).ok());
  std::thread stopper([&] { queue.stop(); });  // waits for a1
  // Once the queue refuses new jobs it is stopping: then let a1 end. (The
  // probes that got in before are skipped too, silently.)
  Result<void> probe;
  for (int i = 0;
       i < 10000 && (probe = queue.submit("probe" + std::to_string(i), [](bool) {})).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.error().code, Errc::kIo);
  gate.open();
  stopper.join();
  EXPECT_EQ(gate.notes(2), std::vector<std::string>({"started a1", "skipped b1"}));
}

}  // namespace
}  // namespace sfs::files
