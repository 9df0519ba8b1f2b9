#include "auth/authenticator.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth_file.h"
#include "auth/password_hash.h"
#include "test_util.h"

namespace sfs::auth {
namespace {

using std::chrono::milliseconds;
using Kind = LoginOutcome::Kind;
using Clock = std::chrono::steady_clock;

constexpr char kAlicePassword[] = "alice-Real-Pw-1";

// An Argon2id hash at the lowest costs: the checks are quick, and the
// authenticator wants to hash it again.
std::string cheap_hash(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  return out;
}

// A real auth file and UserDb in a temp dir, an Authenticator with short
// penalties (3 free failures, then 300 ms doubling, over 1 s refused), and
// an io_context to run its coroutines on.
class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    file_ = dir_.path() / "id_passwd.txt";
    std::ofstream(file_) << "alice:" << cheap_hash(kAlicePassword) << "\n";
    auto users = UserDb::load(file_);
    ASSERT_TRUE(users) << users.error().message;
    users_.emplace(std::move(*users));
    LoginGate::Settings gate;
    gate.base = milliseconds(300);
    gate.max_wait = std::chrono::seconds(1);
    store_.emplace(file_);
    auth_.emplace(*users_, Authenticator::Settings{
                               .store = &*store_, .max_concurrent_checks = 2, .gate = gate});
  }
  void TearDown() override {
    if (auth_) {
      auth_->join();
    }
  }

  LoginRequest request(const std::string& password,
                       Clock::time_point deadline = Clock::now() + std::chrono::seconds(30)) {
    passwords_.push_back(password);  // the request's views must outlive the login
    return {.source = "192.0.2.7",
            .peer = "192.0.2.7:4711",
            .user = "alice",
            .user_label = "alice",
            .password = passwords_.back(),
            .deadline = deadline};
  }

  // Starts a login on the io_context; its outcome lands in `out`.
  void start(const LoginRequest& request, std::optional<LoginOutcome>& out) {
    asio::co_spawn(io_, auth_->log_in(request, hooks_),
                   [&out](const std::exception_ptr& e, LoginOutcome outcome) {
                     ASSERT_FALSE(e);
                     out = std::move(outcome);
                   });
  }
  LoginOutcome log_in(const LoginRequest& request) {
    std::optional<LoginOutcome> out;
    start(request, out);
    run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(LoginOutcome{});
  }
  void run() {
    io_.restart();
    io_.run();
  }

  test::TempDir dir_{"sfs-authenticator"};
  std::filesystem::path file_;
  std::optional<UserDb> users_;
  std::optional<FileUserStore> store_;
  std::optional<Authenticator> auth_;
  asio::io_context io_;
  LoginHooks hooks_;
  std::list<std::string> passwords_;
  std::vector<milliseconds> holds_;  // what on_hold was told
};

TEST_F(AuthenticatorTest, FreeFailuresThenHoldsToldThroughTheHookThenARefusal) {
  hooks_.on_hold = [this](milliseconds wait) -> awaitable<bool> {
    holds_.push_back(wait);
    co_return true;
  };
  for (int i = 0; i < 3; ++i) {
    const LoginOutcome got = log_in(request("wrong-" + std::to_string(i)));
    EXPECT_EQ(got.kind, Kind::kFailed) << i;
    EXPECT_EQ(got.held, Clock::duration::zero()) << i;
    EXPECT_EQ(got.message(), "login failed");
  }
  EXPECT_TRUE(holds_.empty());
  // Past the free failures: held up to 300 ms, then longer, up to 600 ms
  // (less what decayed meanwhile), each told first and reported.
  const LoginOutcome fourth = log_in(request("wrong-3"));
  EXPECT_EQ(fourth.kind, Kind::kFailed);
  EXPECT_EQ(log_in(request("wrong-4")).kind, Kind::kFailed);
  ASSERT_EQ(holds_.size(), 2U);
  EXPECT_GT(holds_[0], milliseconds(0));
  EXPECT_LE(holds_[0], milliseconds(300));
  EXPECT_EQ(std::chrono::ceil<milliseconds>(fourth.held), holds_[0]);
  EXPECT_GT(holds_[1], holds_[0]);
  EXPECT_LE(holds_[1], milliseconds(600));
  // 1200 ms is over the longest hold: refused unchecked, with when to retry,
  // even with the right password.
  const LoginOutcome refused = log_in(request(kAlicePassword));
  EXPECT_EQ(refused.kind, Kind::kRefused);
  EXPECT_GE(refused.retry_after.count(), 1);
  EXPECT_EQ(refused.message(), "too many failed logins for this account or address; try again in " +
                                   std::to_string(refused.retry_after.count()) + " s");
  EXPECT_EQ(holds_.size(), 2U);
}

TEST_F(AuthenticatorTest, AClientGoneBeforeItsHoldEndsTheAttemptUnchecked) {
  hooks_.on_hold = [](milliseconds) -> awaitable<bool> { co_return false; };
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(log_in(request("wrong-" + std::to_string(i))).kind, Kind::kFailed);
  }
  const std::uint64_t checks = users_->argon2_checks();
  const LoginOutcome got = log_in(request(kAlicePassword));
  EXPECT_EQ(got.kind, Kind::kClosed);
  EXPECT_EQ(users_->argon2_checks(), checks);
}

TEST_F(AuthenticatorTest, AttemptsPastTheFreeOnesAreBusyUntilTheVerdictsThenPastTheDeadline) {
  // Three at once are checked together; a fourth waits for their verdicts,
  // and its deadline has passed.
  std::optional<LoginOutcome> outs[4];
  for (int i = 0; i < 3; ++i) {
    start(request("wrong-" + std::to_string(i)), outs[i]);
  }
  start(request("wrong-3", Clock::now()), outs[3]);
  run();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(outs[i].has_value());
    EXPECT_EQ(outs[i]->kind, Kind::kFailed) << i;
  }
  ASSERT_TRUE(outs[3].has_value());
  EXPECT_EQ(outs[3]->kind, Kind::kBusy);
  EXPECT_EQ(outs[3]->message(),
            "too many logins in progress for this account or address; try again later");
}

TEST_F(AuthenticatorTest, TheRightPasswordLogsInAndAnOutdatedHashIsSaved) {
  const std::uint64_t version = users_->version("alice");
  ASSERT_TRUE(users_->needs_rehash("alice"));
  const LoginOutcome got = log_in(request(kAlicePassword));
  ASSERT_EQ(got.kind, Kind::kLoggedIn);
  ASSERT_TRUE(got.identity.has_value());
  EXPECT_EQ(got.identity->user, "alice");
  EXPECT_EQ(got.identity->version, version);
  EXPECT_EQ(got.identity->check_name(), "argon2id");
  EXPECT_EQ(LoginGate::standing_name(got.identity->standing), "clean");
  EXPECT_TRUE(auth_->current(*got.identity));
  // Rehashed in memory and in the file, at today's costs, same password.
  EXPECT_FALSE(users_->needs_rehash("alice"));
  auto file = AuthFile::load(file_);
  ASSERT_TRUE(file);
  ASSERT_NE(file->find("alice"), nullptr);
  EXPECT_FALSE(needs_rehash(file->find("alice")->secret));
  auto reread = UserDb::load(file_);
  ASSERT_TRUE(reread);
  EXPECT_TRUE(reread->verify("alice", kAlicePassword));
}

TEST_F(AuthenticatorTest, AnIdentityIsNoLongerCurrentOnceTheAuthFileChangesThePassword) {
  const LoginOutcome got = log_in(request(kAlicePassword));
  ASSERT_EQ(got.kind, Kind::kLoggedIn);
  auto changed = AuthFile::parse("alice:another-Pw-2\n", "test");
  ASSERT_TRUE(changed);
  ASSERT_TRUE(users_->reload(*changed));
  EXPECT_FALSE(auth_->current(*got.identity));
}

}  // namespace
}  // namespace sfs::auth
