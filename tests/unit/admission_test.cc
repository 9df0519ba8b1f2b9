#include "server/admission.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sfs::server {

namespace {

using Ticket = Admission::Ticket;

Admission::Limits limits(unsigned total, unsigned per_source, unsigned unauthenticated) {
  Admission::Limits l;
  l.total = total;
  l.per_source = per_source;
  l.unauthenticated = unauthenticated;
  return l;
}

// Admits one connection from `source`, failing the test when refused.
std::optional<Ticket> admit_ok(Admission& admission, const std::string& source) {
  std::string why;
  std::optional<Ticket> ticket = admission.admit(source, &why);
  EXPECT_TRUE(ticket.has_value()) << "refused " << source << ": " << why;
  return ticket;
}

// Expects `source` to be refused with a reason containing `expected`.
void expect_refused(Admission& admission, const std::string& source, const std::string& expected) {
  std::string why;
  const std::optional<Ticket> ticket = admission.admit(source, &why);
  EXPECT_FALSE(ticket.has_value()) << "admitted " << source;
  EXPECT_NE(why.find(expected), std::string::npos) << "why: '" << why << "'";
}

TEST(AdmissionTest, DefaultLimits) {
  const Admission::Limits l;
  EXPECT_EQ(l.total, 1024U);
  EXPECT_EQ(l.per_source, 128U);
  EXPECT_EQ(l.unauthenticated, 128U);
}

TEST(AdmissionTest, TotalCap) {
  Admission admission(limits(3, 10, 20));
  EXPECT_EQ(admission.connections(), 0U);
  std::vector<std::optional<Ticket>> tickets;
  for (int i = 0; i < 3; ++i) {
    tickets.push_back(admit_ok(admission, "192.0.2." + std::to_string(i)));
    tickets.back()->logged_in();
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
  a1->logged_in();
  a2->logged_in();
  expect_refused(admission, "203.0.113.5", "per-address connection limit (2)");
}

TEST(AdmissionTest, UnauthenticatedCap) {
  Admission admission(limits(100, 50, 2));
  auto t1 = admit_ok(admission, "a");
  const auto t2 = admit_ok(admission, "b");
  expect_refused(admission, "c", "too many connections not logged in yet (2)");
  t1->logged_in();
  const auto t3 = admit_ok(admission, "c");
  expect_refused(admission, "d", "(2)");
  EXPECT_EQ(admission.connections(), 3U);
}

TEST(AdmissionTest, LoggedInIsIdempotent) {
  Admission admission(limits(100, 50, 2));
  auto t1 = admit_ok(admission, "a");
  t1->logged_in();
  t1->logged_in();
  t1->logged_in();
  const auto t2 = admit_ok(admission, "b");
  const auto t3 = admit_ok(admission, "c");
  expect_refused(admission, "d", "not logged in yet (2)");
  EXPECT_EQ(admission.connections(), 3U);
}

TEST(AdmissionTest, ReleasingALoggedInTicketFreesNoUnauthenticatedSlot) {
  Admission admission(limits(100, 50, 1));
  {
    auto t1 = admit_ok(admission, "a");
    t1->logged_in();
    const auto t2 = admit_ok(admission, "b");  // the one unauthenticated slot
    expect_refused(admission, "c", "not logged in yet (1)");
    { const Ticket gone(std::move(*t1)); }  // t1's slots given back: total only
    EXPECT_EQ(admission.connections(), 1U);
    expect_refused(admission, "c", "not logged in yet (1)");
  }
  EXPECT_EQ(admission.connections(), 0U);
  const auto t3 = admit_ok(admission, "c");
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
    original->logged_in();  // moved-from: no effect
    original.reset();       // moved-from: gives nothing back
    EXPECT_EQ(admission.connections(), 1U);
    expect_refused(admission, "a", "per-address connection limit (1)");
    const auto b = admit_ok(admission, "b");
    expect_refused(admission, "c", "not logged in yet (2)");
    EXPECT_EQ(admission.connections(), 2U);
  }
  EXPECT_EQ(admission.connections(), 0U);
  const auto a = admit_ok(admission, "a");
  EXPECT_EQ(admission.connections(), 1U);
  expect_refused(admission, "a", "per-address connection limit (1)");
}

TEST(AdmissionTest, MovedTicketKeepsItsLoggedInState) {
  Admission admission(limits(10, 10, 1));
  auto original = admit_ok(admission, "a");
  original->logged_in();
  std::optional<Ticket> moved(std::move(*original));
  original.reset();
  const auto t2 = admit_ok(admission, "b");  // the one unauthenticated slot
  moved.reset();                             // logged in: frees no unauthenticated slot
  expect_refused(admission, "c", "not logged in yet (1)");
  EXPECT_EQ(admission.connections(), 1U);
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
        std::string why;
        std::optional<Ticket> a = admission.admit(source, &why);
        std::optional<Ticket> b = admission.admit(source, &why);
        if (a && i % 2 == 0) {
          a->logged_in();
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

}  // namespace
}  // namespace sfs::server
