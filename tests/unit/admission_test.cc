#include "server/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sfs::server {

namespace {

using Ticket = Admission::Ticket;

Admission::Limits limits(unsigned total, unsigned per_source, unsigned unauthenticated,
                         unsigned share_per_source = 1000) {
  Admission::Limits l;
  l.total = total;
  l.per_source = per_source;
  l.unauthenticated = unauthenticated;
  l.share_per_source = share_per_source;
  return l;
}

// Admits one connection from `source`, failing the test when refused or
// when it evicted another.
std::optional<Ticket> admit_ok(Admission& admission, const std::string& source) {
  Admission::Verdict verdict = admission.admit(source);
  EXPECT_TRUE(verdict.ticket.has_value()) << "refused " << source << ": " << verdict.refusal;
  EXPECT_EQ(verdict.evicted, "") << source << " evicted a connection";
  return std::move(verdict.ticket);
}

// Expects `source` to be refused with a reason containing `expected`.
void expect_refused(Admission& admission, const std::string& source, const std::string& expected) {
  const Admission::Verdict verdict = admission.admit(source);
  EXPECT_FALSE(verdict.ticket.has_value()) << "admitted " << source;
  EXPECT_EQ(verdict.evicted, "") << "refused, yet evicted a connection";
  EXPECT_NE(verdict.refusal.find(expected), std::string::npos)
      << "why: '" << verdict.refusal << "'";
}

TEST(AdmissionTest, DefaultLimits) {
  const Admission::Limits l;
  EXPECT_EQ(l.total, 1024U);
  EXPECT_EQ(l.per_source, 128U);
  EXPECT_EQ(l.unauthenticated, 128U);
  EXPECT_EQ(l.share_per_source, 10U);
}

TEST(AdmissionTest, TotalCap) {
  Admission admission(limits(3, 10, 20));
  EXPECT_EQ(admission.connections(), 0U);
  std::vector<std::optional<Ticket>> tickets;
  for (int i = 0; i < 3; ++i) {
    tickets.push_back(admit_ok(admission, "192.0.2." + std::to_string(i)));
    EXPECT_TRUE(tickets.back()->logged_in());
  }
  EXPECT_EQ(admission.connections(), 3U);
  expect_refused(admission, "192.0.2.99", "connection limit (3) reached");
  expect_refused(admission, "192.0.2.0", "(3)");
  EXPECT_EQ(admission.connections(), 3U);

  tickets.pop_back();
  EXPECT_EQ(admission.connections(), 2U);
  tickets.push_back(admit_ok(admission, "192.0.2.99"));
  EXPECT_EQ(admission.connections(), 3U);
  expect_refused(admission, "192.0.2.100", "(3)");
}

TEST(AdmissionTest, PerSourceCap) {
  Admission admission(limits(100, 2, 50));
  auto a1 = admit_ok(admission, "198.51.100.1");
  const auto a2 = admit_ok(admission, "198.51.100.1");
  expect_refused(admission, "198.51.100.1", "per-address connection limit (2) reached");
  // Other sources are not affected, also those sharing a prefix.
  const auto b1 = admit_ok(admission, "198.51.100.10");
  const auto b2 = admit_ok(admission, "198.51.100.10");
  const auto c1 = admit_ok(admission, "198.51.100.");
  expect_refused(admission, "198.51.100.10", "(2)");
  EXPECT_EQ(admission.connections(), 5U);

  a1.reset();
  EXPECT_EQ(admission.connections(), 4U);
  const auto a3 = admit_ok(admission, "198.51.100.1");
  expect_refused(admission, "198.51.100.1", "(2)");
}

TEST(AdmissionTest, PerSourceCountsLoggedInConnectionsToo) {
  Admission admission(limits(100, 2, 50));
  auto a1 = admit_ok(admission, "203.0.113.5");
  auto a2 = admit_ok(admission, "203.0.113.5");
  EXPECT_TRUE(a1->logged_in());
  EXPECT_TRUE(a2->logged_in());
  expect_refused(admission, "203.0.113.5", "per-address connection limit (2)");
}

// (A source holding as many of a full pool as any other is refused; one
// holding fewer would evict: see the eviction tests below.)
TEST(AdmissionTest, UnauthenticatedCap) {
  Admission admission(limits(100, 50, 2));
  auto t1 = admit_ok(admission, "a");
  const auto t2 = admit_ok(admission, "b");
  expect_refused(admission, "a", "too many connections not logged in yet (2)");
  expect_refused(admission, "b", "as many of them as any");
  EXPECT_TRUE(t1->logged_in());
  EXPECT_EQ(admission.not_logged_in(), 1U);
  const auto t3 = admit_ok(admission, "a");
  expect_refused(admission, "a", "(2)");
  EXPECT_EQ(admission.connections(), 3U);
  EXPECT_EQ(admission.not_logged_in(), 2U);
}

TEST(AdmissionTest, LoggedInIsIdempotent) {
  Admission admission(limits(100, 50, 2));
  auto t1 = admit_ok(admission, "a");
  EXPECT_TRUE(t1->logged_in());
  EXPECT_TRUE(t1->logged_in());
  EXPECT_TRUE(t1->logged_in());
  const auto t2 = admit_ok(admission, "b");
  const auto t3 = admit_ok(admission, "c");
  expect_refused(admission, "b", "not logged in yet (2)");
  EXPECT_EQ(admission.connections(), 3U);
  EXPECT_EQ(admission.not_logged_in(), 2U);
}

TEST(AdmissionTest, ReleasingALoggedInTicketFreesNoUnauthenticatedSlot) {
  Admission admission(limits(100, 50, 1));
  {
    auto t1 = admit_ok(admission, "a");
    EXPECT_TRUE(t1->logged_in());
    const auto t2 = admit_ok(admission, "b");  // the one unauthenticated slot
    expect_refused(admission, "b", "not logged in yet (1)");
    { const Ticket gone(std::move(*t1)); }  // t1's slots given back: total only
    EXPECT_EQ(admission.connections(), 1U);
    expect_refused(admission, "b", "not logged in yet (1)");
  }
  EXPECT_EQ(admission.connections(), 0U);
  EXPECT_EQ(admission.not_logged_in(), 0U);
  const auto t3 = admit_ok(admission, "b");
}

TEST(AdmissionTest, DestructorFreesAllSlots) {
  Admission admission(limits(2, 1, 2));
  {
    const auto a = admit_ok(admission, "a");
    const auto b = admit_ok(admission, "b");
    EXPECT_EQ(admission.connections(), 2U);
    expect_refused(admission, "c", "connection limit (2)");
  }
  EXPECT_EQ(admission.connections(), 0U);
  // Every cap is back to its full size.
  const auto a = admit_ok(admission, "a");
  const auto b = admit_ok(admission, "b");
  EXPECT_EQ(admission.connections(), 2U);
}

TEST(AdmissionTest, MovedTicketReleasesOnce) {
  Admission admission(limits(10, 1, 2));
  auto original = admit_ok(admission, "a");
  {
    const Ticket moved(std::move(*original));
    EXPECT_FALSE(original->logged_in());      // moved-from: no effect
    EXPECT_FALSE(original->on_evict([] {}));  // moved-from: no effect
    EXPECT_FALSE(original->evicted());
    original.reset();  // moved-from: gives nothing back
    EXPECT_EQ(admission.connections(), 1U);
    expect_refused(admission, "a", "per-address connection limit (1)");
    const auto b = admit_ok(admission, "b");
    expect_refused(admission, "b", "per-address connection limit (1)");
    EXPECT_EQ(admission.connections(), 2U);
    EXPECT_EQ(admission.not_logged_in(), 2U);
  }
  EXPECT_EQ(admission.connections(), 0U);
  const auto a = admit_ok(admission, "a");
  EXPECT_EQ(admission.connections(), 1U);
  expect_refused(admission, "a", "per-address connection limit (1)");
}

TEST(AdmissionTest, MovedTicketKeepsItsLoggedInState) {
  Admission admission(limits(10, 10, 1));
  auto original = admit_ok(admission, "a");
  EXPECT_TRUE(original->logged_in());
  std::optional<Ticket> moved(std::move(*original));
  original.reset();
  const auto t2 = admit_ok(admission, "b");  // the one unauthenticated slot
  moved.reset();                             // logged in: frees no unauthenticated slot
  expect_refused(admission, "b", "not logged in yet (1)");
  EXPECT_EQ(admission.connections(), 1U);
  EXPECT_EQ(admission.not_logged_in(), 1U);
}

TEST(AdmissionTest, TicketsInAGrowingVector) {
  // Reallocation moves tickets and destroys the moved-from ones.
  Admission admission(limits(1000, 1000, 1000));
  std::vector<Ticket> tickets;
  for (int i = 0; i < 100; ++i) {
    std::optional<Ticket> ticket = admit_ok(admission, "src");
    ASSERT_TRUE(ticket.has_value());
    tickets.push_back(std::move(*ticket));
    EXPECT_EQ(admission.connections(), static_cast<unsigned>(i + 1));
  }
  while (tickets.size() > 60) {
    tickets.pop_back();
  }
  EXPECT_EQ(admission.connections(), 60U);
  tickets.clear();
  EXPECT_EQ(admission.connections(), 0U);
}

TEST(AdmissionTest, SourceIsAdmittedAgainAfterDroppingToZero) {
  Admission admission(limits(10, 1, 10));
  for (int round = 0; round < 5; ++round) {
    {
      const auto t = admit_ok(admission, "2001:db8::1");
      expect_refused(admission, "2001:db8::1", "per-address connection limit (1)");
    }
    EXPECT_EQ(admission.connections(), 0U);
  }
}

TEST(AdmissionTest, RefusalTakesNoSlot) {
  Admission admission(limits(10, 1, 10));
  const auto t = admit_ok(admission, "a");
  for (int i = 0; i < 100; ++i) {
    expect_refused(admission, "a", "(1)");
  }
  EXPECT_EQ(admission.connections(), 1U);
}

TEST(AdmissionTest, ZeroLimitsRefuseEverything) {
  Admission total(limits(0, 10, 10));
  expect_refused(total, "a", "connection limit (0)");
  Admission unauthenticated(limits(10, 10, 0));
  expect_refused(unauthenticated, "a", "not logged in yet (0)");
  Admission per_source(limits(10, 0, 10));
  expect_refused(per_source, "a", "per-address connection limit (0)");
  EXPECT_EQ(total.connections() + unauthenticated.connections() + per_source.connections(), 0U);
}

TEST(AdmissionTest, ConcurrentAdmitAndRelease) {
  Admission admission(limits(6, 2, 6));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&admission, t] {
      const std::string source = "10.0.0." + std::to_string(t);
      for (int i = 0; i < 10000; ++i) {
        std::optional<Ticket> a = admission.admit(source).ticket;
        std::optional<Ticket> b = admission.admit(source).ticket;
        if (a && i % 2 == 0) {
          EXPECT_TRUE(a->logged_in());
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(admission.connections(), 0U);
  // No slot leaked: every cap is back to its full size.
  std::vector<std::optional<Ticket>> tickets;
  tickets.push_back(admit_ok(admission, "10.0.0.0"));
  tickets.push_back(admit_ok(admission, "10.0.0.0"));
  expect_refused(admission, "10.0.0.0", "per-address connection limit (2)");
  for (int i = 1; i <= 4; ++i) {
    tickets.push_back(admit_ok(admission, "10.0.0." + std::to_string(i)));
  }
  expect_refused(admission, "10.0.0.5", "connection limit (6)");
}

// --- One source's share of the pre-login pool, claimed when it is full ---

TEST(AdmissionShareTest, ShareIsClaimedOnlyWhenThePoolIsFull) {
  Admission admission(limits(100, 50, 6, 2));
  std::vector<std::optional<Ticket>> a;
  for (int i = 0; i < 6; ++i) {  // room: a source may take more than its share
    a.push_back(admit_ok(admission, "192.0.2.1"));
  }
  expect_refused(admission, "192.0.2.1",
                 "too many connections not logged in yet (6), and this address holds its share "
                 "of them (2)");
  // Another source claims its share from the biggest holder...
  for (int i = 0; i < 2; ++i) {
    Admission::Verdict verdict = admission.admit("192.0.2.2");
    ASSERT_TRUE(verdict.ticket.has_value()) << verdict.refusal;
    EXPECT_EQ(verdict.evicted, "192.0.2.1");
    EXPECT_EQ(verdict.evicted_held, 6U - i);
    a.push_back(std::move(verdict.ticket));
  }
  EXPECT_TRUE(a[0]->evicted());
  EXPECT_TRUE(a[1]->evicted());
  EXPECT_FALSE(a[2]->evicted());
  // ...and no more.
  expect_refused(admission, "192.0.2.2", "holds its share of them (2)");
  EXPECT_EQ(admission.not_logged_in(), 6U);
  EXPECT_EQ(admission.connections(), 6U);
  // With room again, no share applies.
  EXPECT_TRUE(a[6]->logged_in());
  const auto b3 = admit_ok(admission, "192.0.2.2");
}

TEST(AdmissionShareTest, PerSourceTotalStaysAHardCap) {
  Admission admission(limits(100, 4, 20, 3));
  std::vector<std::optional<Ticket>> a;
  for (int i = 0; i < 3; ++i) {
    a.push_back(admit_ok(admission, "a"));
    EXPECT_TRUE(a.back()->logged_in());
  }
  a.push_back(admit_ok(admission, "a"));  // 4 in all, 1 not logged in
  expect_refused(admission, "a", "per-address connection limit (4) reached");
  EXPECT_EQ(admission.connections(), 4U);
  EXPECT_EQ(admission.not_logged_in(), 1U);
}

TEST(AdmissionShareTest, ZeroShareNeverEvicts) {
  Admission admission(limits(100, 50, 2, 0));
  const auto a1 = admit_ok(admission, "a");
  const auto a2 = admit_ok(admission, "a");
  expect_refused(admission, "b",
                 "too many connections not logged in yet (2), and this address "
                 "holds its share of them (0)");
  EXPECT_FALSE(a1->evicted());
  EXPECT_EQ(admission.connections(), 2U);
}

// --- Eviction when the pre-login pool is full ---

// A ticket whose session asks to be told of its eviction by a counter.
struct Watched {
  std::optional<Ticket> ticket;
  std::shared_ptr<int> closes = std::make_shared<int>(0);
};

Watched admit_watched(Admission& admission, const std::string& source) {
  Watched watched{admit_ok(admission, source)};
  if (watched.ticket) {
    EXPECT_TRUE(watched.ticket->on_evict([closes = watched.closes] { ++*closes; }));
  }
  return watched;
}

TEST(AdmissionEvictionTest, OldestOfTheBiggestHolderMakesRoom) {
  Admission admission(limits(100, 50, 5, 10));
  Watched a1 = admit_watched(admission, "a");
  Watched b1 = admit_watched(admission, "b");
  Watched a2 = admit_watched(admission, "a");
  Watched b2 = admit_watched(admission, "b");
  Watched a3 = admit_watched(admission, "a");
  // Full: a holds 3, b holds 2. A newcomer takes a's oldest place.
  Admission::Verdict verdict = admission.admit("c");
  ASSERT_TRUE(verdict.ticket.has_value()) << verdict.refusal;
  EXPECT_EQ(verdict.refusal, "");
  EXPECT_EQ(verdict.evicted, "a");
  EXPECT_EQ(verdict.evicted_held, 3U);
  EXPECT_EQ(*a1.closes, 1);
  EXPECT_TRUE(a1.ticket->evicted());
  for (const Watched* other : {&b1, &a2, &b2, &a3}) {
    EXPECT_EQ(*other->closes, 0);
    EXPECT_FALSE(other->ticket->evicted());
  }
  EXPECT_FALSE(verdict.ticket->evicted());
  // The pool stays at its cap; the evicted connection counts no more.
  EXPECT_EQ(admission.not_logged_in(), 5U);
  EXPECT_EQ(admission.connections(), 5U);
}

TEST(AdmissionEvictionTest, TiesGoToTheOldestConnection) {
  Admission admission(limits(100, 50, 4, 10));
  Watched a1 = admit_watched(admission, "a");
  Watched b1 = admit_watched(admission, "b");
  Watched b2 = admit_watched(admission, "b");
  Watched a2 = admit_watched(admission, "a");
  // a and b hold 2 each; a's first connection is the oldest of all.
  Admission::Verdict first = admission.admit("c");
  ASSERT_TRUE(first.ticket.has_value());
  EXPECT_EQ(first.evicted, "a");
  EXPECT_EQ(*a1.closes, 1);
  // Now b holds the most (2): its oldest goes, though a2 is older than c.
  Admission::Verdict second = admission.admit("d");
  ASSERT_TRUE(second.ticket.has_value());
  EXPECT_EQ(second.evicted, "b");
  EXPECT_EQ(second.evicted_held, 2U);
  EXPECT_EQ(*b1.closes, 1);
  // a, b, c, d hold 1 each: the oldest of all (b2) makes room for e.
  Admission::Verdict third = admission.admit("e");
  ASSERT_TRUE(third.ticket.has_value());
  EXPECT_EQ(third.evicted, "b");
  EXPECT_EQ(*b2.closes, 1);
  EXPECT_EQ(*a2.closes, 0);
  EXPECT_FALSE(first.ticket->evicted());
  EXPECT_EQ(admission.not_logged_in(), 4U);
}

TEST(AdmissionEvictionTest, SourceHoldingAsManyAsAnyIsRefused) {
  Admission admission(limits(100, 50, 4, 10));
  Watched a1 = admit_watched(admission, "a");
  Watched a2 = admit_watched(admission, "a");
  Watched b1 = admit_watched(admission, "b");
  Watched b2 = admit_watched(admission, "b");
  for (const char* source : {"a", "b"}) {
    expect_refused(admission, source,
                   "too many connections not logged in yet (4), and this address holds as many "
                   "of them as any");
  }
  EXPECT_EQ(*a1.closes + *a2.closes + *b1.closes + *b2.closes, 0);
  // One holding fewer than the biggest, though not none, gets a place.
  b2.ticket.reset();
  Watched a3 = admit_watched(admission, "a");  // a 3, b 1: full again
  Admission::Verdict verdict = admission.admit("b");
  ASSERT_TRUE(verdict.ticket.has_value());
  EXPECT_EQ(verdict.evicted, "a");
  EXPECT_EQ(*a1.closes, 1);
}

TEST(AdmissionEvictionTest, LoggedInConnectionsAreNeverEvicted) {
  Admission admission(limits(100, 50, 2, 10));
  Watched a1 = admit_watched(admission, "a");
  EXPECT_TRUE(a1.ticket->logged_in());
  Watched a2 = admit_watched(admission, "a");
  Watched a3 = admit_watched(admission, "a");
  Admission::Verdict verdict = admission.admit("b");
  ASSERT_TRUE(verdict.ticket.has_value());
  EXPECT_EQ(verdict.evicted, "a");
  EXPECT_EQ(verdict.evicted_held, 2U);  // the logged-in one does not count
  EXPECT_EQ(*a1.closes, 0);
  EXPECT_FALSE(a1.ticket->evicted());
  EXPECT_EQ(*a2.closes, 1);
  EXPECT_EQ(*a3.closes, 0);
  EXPECT_EQ(admission.connections(), 3U);
}

TEST(AdmissionEvictionTest, EvictedTicketGivesItsSlotsBackOnce) {
  Admission admission(limits(100, 3, 2, 10));
  Watched a1 = admit_watched(admission, "a");
  Watched a2 = admit_watched(admission, "a");
  Admission::Verdict b = admission.admit("b");
  ASSERT_TRUE(b.ticket.has_value());
  ASSERT_TRUE(a1.ticket->evicted());
  // The evicted session learns it when it tries to log in, and ends.
  EXPECT_FALSE(a1.ticket->logged_in());
  EXPECT_FALSE(a1.ticket->on_evict([] {}));
  a1.ticket.reset();  // its session ends: nothing more to give back
  EXPECT_EQ(admission.connections(), 2U);
  EXPECT_EQ(admission.not_logged_in(), 2U);
  EXPECT_EQ(*a1.closes, 1);
  // a may hold 3 in all: 1 now, so 2 more once the pool has room.
  EXPECT_TRUE(b.ticket->logged_in());
  const auto a3 = admit_ok(admission, "a");
  EXPECT_TRUE(a2.ticket->logged_in());
  const auto a4 = admit_ok(admission, "a");
  expect_refused(admission, "a", "per-address connection limit (3)");
  b.ticket.reset();
  a2.ticket.reset();
  EXPECT_EQ(admission.connections(), 2U);
  EXPECT_EQ(admission.not_logged_in(), 2U);
}

TEST(AdmissionEvictionTest, EvictedBeforeItsSessionStarted) {
  Admission admission(limits(100, 50, 1, 10));
  std::optional<Ticket> a = admit_ok(admission, "a");  // no on_evict yet
  Admission::Verdict b = admission.admit("b");
  ASSERT_TRUE(b.ticket.has_value());
  EXPECT_EQ(b.evicted, "a");
  EXPECT_TRUE(a->evicted());
  bool closed = false;
  EXPECT_FALSE(a->on_evict([&closed] { closed = true; }));  // the session closes at once
  EXPECT_FALSE(closed);
  a.reset();
  EXPECT_EQ(admission.connections(), 1U);
}

TEST(AdmissionEvictionTest, CloseRunsOutsideTheLock) {
  Admission admission(limits(100, 50, 1, 10));
  std::optional<Ticket> a = admit_ok(admission, "a");
  unsigned seen = 99;
  // Would deadlock if run with the admission's lock held.
  EXPECT_TRUE(a->on_evict([&admission, &seen] { seen = admission.not_logged_in(); }));
  Admission::Verdict b = admission.admit("b");
  ASSERT_TRUE(b.ticket.has_value());
  EXPECT_EQ(seen, 1U);
}

TEST(AdmissionEvictionTest, LoggingInWinsOverALaterEviction) {
  Admission admission(limits(100, 50, 1, 10));
  Watched a = admit_watched(admission, "a");
  EXPECT_TRUE(a.ticket->logged_in());
  EXPECT_TRUE(a.ticket->on_evict([] {}));   // nothing to do once logged in
  const auto b = admit_ok(admission, "b");  // the pool had room again
  EXPECT_EQ(*a.closes, 0);
  EXPECT_FALSE(a.ticket->evicted());
}

TEST(AdmissionEvictionTest, ConcurrentAdmitEvictLogInAndRelease) {
  Admission admission(limits(64, 16, 8, 4));
  std::atomic<int> evictions{0};
  std::atomic<int> closes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        // 9 at once from 3 sources: even a thread alone overflows the pool.
        std::vector<Admission::Verdict> held;
        for (int k = 0; k < 9; ++k) {
          const std::string source = "10.0.0." + std::to_string((t + i + k / 3) % 5);
          Admission::Verdict verdict = admission.admit(source);
          evictions += verdict.evicted.empty() ? 0 : 1;
          if (verdict.ticket && !verdict.ticket->on_evict([&closes] { ++closes; })) {
            ++closes;  // evicted before it could be told: closed by its session
          }
          if (verdict.ticket && k == 8) {
            (void)verdict.ticket->logged_in();
          }
          held.push_back(std::move(verdict));
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_GT(evictions.load(), 0);
  EXPECT_EQ(closes.load(), evictions.load());
  EXPECT_EQ(admission.connections(), 0U);
  EXPECT_EQ(admission.not_logged_in(), 0U);
  // No slot leaked: the whole pool is free again, and shares work as before.
  std::vector<std::optional<Ticket>> tickets;
  for (int i = 0; i < 8; ++i) {
    tickets.push_back(admit_ok(admission, "10.0.0." + std::to_string(i / 4)));
  }
  expect_refused(admission, "10.0.0.0", "holds its share of them (4)");
  expect_refused(admission, "10.0.0.1", "(4)");
  Admission::Verdict verdict = admission.admit("10.0.0.2");
  ASSERT_TRUE(verdict.ticket.has_value());
  EXPECT_EQ(verdict.evicted, "10.0.0.0");
  EXPECT_TRUE(tickets[0]->evicted());
}

}  // namespace
}  // namespace sfs::server
