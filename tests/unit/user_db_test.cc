#include "auth/user_db.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth_file.h"
#include "auth/password_hash.h"

namespace sfs::auth {
namespace {

UserDb parse_ok(const std::string& text) {
  auto db = UserDb::parse(text, "test.txt");
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  if (!db.ok()) {
    return std::move(*UserDb::parse("", "empty"));  // the test fails above
  }
  return std::move(*db);
}

// Expects a parse error "SOURCE:LINE: ..." for `text`.
void expect_line_error(const std::string& text, int line) {
  auto db = UserDb::parse(text, "id_passwd.txt");
  ASSERT_FALSE(db.ok()) << "accepted:\n" << text;
  EXPECT_EQ(db.error().code, Errc::kBadRequest);
  const std::string prefix = "id_passwd.txt:" + std::to_string(line) + ": ";
  EXPECT_TRUE(db.error().message.starts_with(prefix))
      << "message '" << db.error().message << "' does not start with '" << prefix << "'";
  EXPECT_GT(db.error().message.size(), prefix.size());
}

TEST(UserDbParseTest, ValidFileWithCommentsBlankLinesAndCrlf) {
  const UserDb db = parse_ok(
      "# sfs users\n"
      "\n"
      "alice:wonderland\r\n"
      "#bob:commented-out\n"
      "bob:builder\n"
      "\r\n"
      "carol:with:colons\n"
      "dave:pass word with spaces");  // no final newline
  EXPECT_EQ(db.size(), 4U);
  EXPECT_EQ(db.plaintext_count(), 4U);
  EXPECT_TRUE(db.verify("alice", "wonderland"));
  EXPECT_TRUE(db.verify("bob", "builder"));
  EXPECT_TRUE(db.verify("carol", "with:colons"));
  EXPECT_TRUE(db.verify("dave", "pass word with spaces"));
}

TEST(UserDbParseTest, VerifyRejectsWrongPasswords) {
  const UserDb db = parse_ok("alice:wonderland\nbob:builder\n");
  EXPECT_FALSE(db.verify("alice", "Wonderland"));
  EXPECT_FALSE(db.verify("alice", "wonderlan"));
  EXPECT_FALSE(db.verify("alice", "wonderland "));
  EXPECT_FALSE(db.verify("alice", "wonderland\r"));
  EXPECT_FALSE(db.verify("alice", "builder"));  // another user's password
  EXPECT_FALSE(db.verify("alice", ""));
  EXPECT_FALSE(db.verify("Alice", "wonderland"));
  EXPECT_FALSE(db.verify("alice ", "wonderland"));
  EXPECT_FALSE(db.verify("", ""));
  EXPECT_FALSE(db.verify("", "wonderland"));
  EXPECT_FALSE(db.verify("mallory", "wonderland"));
  EXPECT_FALSE(db.verify("mallory", ""));
  EXPECT_FALSE(db.verify("#bob", "builder"));
  EXPECT_FALSE(db.verify("alice:wonderland", ""));
}

TEST(UserDbParseTest, CrlfIsNotPartOfThePassword) {
  const UserDb db = parse_ok("alice:pw\r\n");
  EXPECT_TRUE(db.verify("alice", "pw"));
  EXPECT_FALSE(db.verify("alice", "pw\r"));
}

TEST(UserDbParseTest, PasswordMayHoldAnyPrintableBytes) {
  const UserDb db = parse_ok("u1:a:b:c\nu2:#not-a-comment\nu3: lead\nu4:caf\xC3\xA9\nu5:%20\n");
  EXPECT_TRUE(db.verify("u1", "a:b:c"));
  EXPECT_FALSE(db.verify("u1", "a"));
  EXPECT_TRUE(db.verify("u2", "#not-a-comment"));
  EXPECT_TRUE(db.verify("u3", " lead"));
  EXPECT_FALSE(db.verify("u3", "lead"));
  EXPECT_TRUE(db.verify("u4", "caf\xC3\xA9"));
  EXPECT_TRUE(db.verify("u5", "%20"));
  EXPECT_FALSE(db.verify("u5", " "));
}

TEST(UserDbParseTest, EmptyInput) {
  const UserDb db = parse_ok("");
  EXPECT_EQ(db.size(), 0U);
  EXPECT_EQ(db.plaintext_count(), 0U);
  EXPECT_FALSE(db.verify("alice", "x"));
  const UserDb comments = parse_ok("# only\n\n# comments\n");
  EXPECT_EQ(comments.size(), 0U);
}

TEST(UserDbParseTest, PasswordLengthLimit) {
  const std::string pw1024(1024, 'p');
  const UserDb db = parse_ok("alice:" + pw1024 + "\n");
  EXPECT_TRUE(db.verify("alice", pw1024));
  EXPECT_FALSE(db.verify("alice", pw1024 + "p"));
  EXPECT_FALSE(db.verify("alice", std::string(1023, 'p')));
  EXPECT_FALSE(db.verify("alice", std::string(100000, 'p')));
  expect_line_error("alice:" + std::string(1025, 'p') + "\n", 1);
}

TEST(UserDbParseTest, MissingColon) {
  expect_line_error("alice\n", 1);
  expect_line_error("# c\n\nalice:ok\nbob\n", 4);
  expect_line_error("alice:ok\r\n\r\nbob builder\r\n", 3);
}

TEST(UserDbParseTest, InvalidUserNames) {
  expect_line_error("../x:pw\n", 1);
  expect_line_error("alice:pw\na b:pw\n", 2);
  expect_line_error(":pw\n", 1);
  expect_line_error("\n\n\n.hidden:pw\n", 4);
  expect_line_error("-x:pw\n", 1);
  expect_line_error(std::string(33, 'u') + ":pw\n", 1);
  expect_line_error(" alice:pw\n", 1);
  expect_line_error("a/b:pw\n", 1);
}

TEST(UserDbParseTest, EmptyPassword) {
  expect_line_error("alice:\n", 1);
  expect_line_error("alice:ok\nbob:\r\n", 2);
}

TEST(UserDbParseTest, DuplicateUser) {
  expect_line_error("alice:one\nbob:two\n# x\nalice:three\n", 4);
  auto db = UserDb::parse("alice:one\nalice:two\n", "f");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().message.find("f:2: "), 0U) << db.error().message;
  EXPECT_NE(db.error().message.find("alice"), std::string::npos) << db.error().message;
}

TEST(UserDbParseTest, UserNamesAreCaseSensitive) {
  const UserDb db = parse_ok("alice:lower\nAlice:upper\n");
  EXPECT_EQ(db.size(), 2U);
  EXPECT_TRUE(db.verify("alice", "lower"));
  EXPECT_TRUE(db.verify("Alice", "upper"));
  EXPECT_FALSE(db.verify("alice", "upper"));
}

TEST(UserDbParseTest, Argon2idEntry) {
  ASSERT_GE(sodium_init(), 0);
  char hash[crypto_pwhash_STRBYTES];
  const std::string password = "correct horse:battery";
  ASSERT_EQ(crypto_pwhash_str_alg(
                hash, password.data(), password.size(), crypto_pwhash_argon2id_OPSLIMIT_MIN,
                crypto_pwhash_argon2id_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  ASSERT_TRUE(std::string(hash).starts_with("$argon2id$")) << hash;
  const UserDb db = parse_ok("# mixed\nalice:" + std::string(hash) + "\nbob:plain\n");
  EXPECT_EQ(db.size(), 2U);
  EXPECT_EQ(db.plaintext_count(), 1U);
  EXPECT_TRUE(db.verify("alice", password));
  EXPECT_FALSE(db.verify("alice", "correct horse"));
  EXPECT_FALSE(db.verify("alice", ""));
  EXPECT_FALSE(db.verify("alice", hash));  // the hash itself is no password
  EXPECT_TRUE(db.verify("bob", "plain"));
  EXPECT_FALSE(db.verify("bob", password));
}

TEST(UserDbParseTest, BrokenArgon2idEntryNeverMatches) {
  const UserDb db = parse_ok("alice:$argon2id$garbage\n");
  EXPECT_EQ(db.plaintext_count(), 0U);
  EXPECT_FALSE(db.verify("alice", "$argon2id$garbage"));
  EXPECT_FALSE(db.verify("alice", "garbage"));
  EXPECT_FALSE(db.verify("alice", ""));
}

class UserDbLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfs-userdb-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_file(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good());
  }

  std::filesystem::path dir_;
};

TEST_F(UserDbLoadTest, MissingFileIsNotFound) {
  auto db = UserDb::load(dir_ / "id_passwd.txt");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Errc::kNotFound);
  EXPECT_NE(db.error().message.find("id_passwd.txt"), std::string::npos) << db.error().message;
}

TEST_F(UserDbLoadTest, LoadsFile) {
  const auto file = dir_ / "id_passwd.txt";
  write_file(file, "# users\nalice:wonderland\r\nbob:builder\n");
  auto db = UserDb::load(file);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(db->size(), 2U);
  EXPECT_TRUE(db->verify("alice", "wonderland"));
  EXPECT_TRUE(db->verify("bob", "builder"));
  EXPECT_FALSE(db->verify("bob", "wonderland"));
}

TEST_F(UserDbLoadTest, ErrorNamesFileAndLine) {
  const auto file = dir_ / "id_passwd.txt";
  write_file(file, "alice:ok\n\nbroken line\n");
  auto db = UserDb::load(file);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Errc::kBadRequest);
  EXPECT_EQ(db.error().message.find(file.string() + ":3: "), 0U) << db.error().message;
}

// A file as sfs-admin writes it: one Argon2id user (at the real cost) and
// one legacy plaintext user.
TEST_F(UserDbLoadTest, HashedAndPlaintextUsers) {
  const auto path = dir_ / "id_passwd.txt";
  auto hash = hash_password("wonderland");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  AuthFile file = AuthFile::empty(path);
  file.set("alice", *hash);
  file.set("bob", "builder");
  ASSERT_TRUE(file.save().ok());

  auto db = UserDb::load(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(db->size(), 2U);
  EXPECT_EQ(db->plaintext_count(), 1U);
  EXPECT_TRUE(db->verify("alice", "wonderland"));
  EXPECT_FALSE(db->verify("alice", "wonderlan"));
  EXPECT_FALSE(db->verify("alice", *hash));
  EXPECT_TRUE(db->verify("bob", "builder"));
  EXPECT_FALSE(db->verify("bob", "wonderland"));
  EXPECT_FALSE(db->verify("carol", "wonderland"));
  EXPECT_FALSE(db->verify("carol", "builder"));
  // Hashed at today's cost; plaintext and unknown users have no hash to redo.
  EXPECT_FALSE(db->needs_rehash("alice"));
  EXPECT_FALSE(db->needs_rehash("bob"));
  EXPECT_FALSE(db->needs_rehash("carol"));
}

TEST(UserDbRehashTest, HashOfOtherCostsNeedsRehash) {
  ASSERT_GE(sodium_init(), 0);
  char cheap[crypto_pwhash_STRBYTES];
  const std::string password = "wonderland";
  ASSERT_EQ(
      crypto_pwhash_str_alg(cheap, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
      0);
  const UserDb db = parse_ok("alice:" + std::string(cheap) + "\nbob:builder\n");
  EXPECT_TRUE(db.needs_rehash("alice"));
  EXPECT_TRUE(db.verify("alice", password));  // still verifies until rehashed
  EXPECT_FALSE(db.needs_rehash("Alice"));
  EXPECT_FALSE(db.needs_rehash("bob"));
  EXPECT_FALSE(db.needs_rehash(""));
}

TEST(UserDbFromFileTest, BuildsFromAnAuthFile) {
  auto file = AuthFile::parse("# users\nalice:one\n\nbob:two\n", "mem");
  ASSERT_TRUE(file.ok()) << file.error().message;
  file->set("carol", "three");
  ASSERT_TRUE(file->remove("bob"));
  auto db = UserDb::from_file(*file);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(db->size(), 2U);
  EXPECT_EQ(db->plaintext_count(), 2U);
  EXPECT_TRUE(db->verify("alice", "one"));
  EXPECT_TRUE(db->verify("carol", "three"));
  EXPECT_FALSE(db->verify("bob", "two"));

  auto empty = UserDb::from_file(AuthFile::empty("unused"));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->size(), 0U);
  EXPECT_FALSE(empty->verify("alice", "one"));
}

// The peak resident memory, in KiB, of a child process that runs `work` once:
// what that work costs in memory above what the child inherits (compare with
// an empty `work`). -1 if the child could not be run.
long child_peak_kib(const std::function<void()>& work) {
  const pid_t pid = fork();
  if (pid == 0) {
    work();
    _exit(0);
  }
  int status = 0;
  rusage usage{};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status)) {
    return -1;
  }
  return usage.ru_maxrss;
}

TEST(UserDbCostTest, UnknownUserCostsWhatAWrongPasswordCosts) {
  // With hashes in the file, an unknown user is checked against an Argon2id
  // dummy made at today's costs: it costs what a wrong password for a hashed
  // user does, not the microseconds of a map lookup (its timing must not
  // tell names apart). Argon2id's cost is mostly memory, which, unlike time,
  // a busy machine does not change: each check runs in a child of its own and
  // its peak memory is compared (the count of Argon2id runs is checked in
  // UnknownUsersCostOneArgon2idRunWhateverTheFile).
  auto hash = hash_password("wonderland");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  const UserDb db = parse_ok("alice:" + *hash + "\nbob:builder\n");
  ASSERT_EQ(db.size(), 2U);
  const long base = child_peak_kib([] {});
  const long known = child_peak_kib([&] { (void)db.verify("alice", "wrong password"); });
  const long unknown = child_peak_kib([&] { (void)db.verify("mallory", "wrong password"); });
  ASSERT_GE(base, 0);
  ASSERT_GE(known, 0);
  ASSERT_GE(unknown, 0);
  constexpr long kArgon2Kib = crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024;  // 64 MiB
  EXPECT_GT(known - base, kArgon2Kib / 2) << "base " << base << " KiB, known " << known;
  EXPECT_GT(unknown - base, kArgon2Kib / 2) << "base " << base << " KiB, unknown " << unknown;
  EXPECT_NEAR(unknown, known, kArgon2Kib / 8) << "base " << base << " KiB";
}

// ---- recently verified passwords (--login-cache-ttl) ---------------------------------

class UserDbVerifiedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hash = hash_password("wonderland");
    ASSERT_TRUE(hash.ok()) << hash.error().message;
    auto other = hash_password("looking-glass");
    ASSERT_TRUE(other.ok()) << other.error().message;
    other_hash_ = *other;
    auto db = UserDb::parse("alice:" + *hash + "\nbob:" + *hash + "\ncarol:builder\n", "t");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::make_unique<UserDb>(std::move(*db));
  }

  std::unique_ptr<UserDb> db_;
  std::string other_hash_;
};

TEST_F(UserDbVerifiedTest, WithoutTtlEveryLoginRunsArgon2id) {
  EXPECT_TRUE(db_->verify("alice", "wonderland"));
  EXPECT_TRUE(db_->verify("alice", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 2U);
}

TEST_F(UserDbVerifiedTest, TheRightPasswordIsRecognizedWithoutArgon2id) {
  db_->set_verified_ttl(std::chrono::seconds(60));
  EXPECT_TRUE(db_->verify("alice", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 1U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(db_->verify("alice", "wonderland"));
  }
  EXPECT_EQ(db_->argon2_checks(), 1U);
}

TEST_F(UserDbVerifiedTest, AnythingElseGetsTheFullCheck) {
  db_->set_verified_ttl(std::chrono::seconds(60));
  ASSERT_TRUE(db_->verify("alice", "wonderland"));
  // A wrong password, a prefix, the same password for another user (same
  // hash!) and an unknown user: each one Argon2id run, and no shortcut.
  EXPECT_FALSE(db_->verify("alice", "wonderlan"));
  EXPECT_FALSE(db_->verify("alice", "wonderland "));
  EXPECT_EQ(db_->argon2_checks(), 3U);
  EXPECT_TRUE(db_->verify("bob", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 4U);
  EXPECT_FALSE(db_->verify("mallory", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 5U);
  // Failures are not remembered: a wrong password costs Argon2id every time.
  EXPECT_FALSE(db_->verify("alice", "wonderlan"));
  EXPECT_EQ(db_->argon2_checks(), 6U);
  // Plaintext lines cost an Argon2id run too (the dummy's), and take the
  // shortcut like hashed ones once their right password was checked.
  EXPECT_FALSE(db_->verify("carol", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 7U);
  EXPECT_TRUE(db_->verify("carol", "builder"));
  EXPECT_EQ(db_->argon2_checks(), 8U);
  EXPECT_TRUE(db_->verify("carol", "builder"));
  EXPECT_EQ(db_->argon2_checks(), 8U);
  EXPECT_FALSE(db_->verify("carol", "builder "));
  EXPECT_EQ(db_->argon2_checks(), 9U);
}

// Finding 8 of issue 10: a plaintext line answered in 0.1 ms where a hashed
// one took 110-280 ms, so timing told which users still had plaintext
// lines. Now every full check, plaintext, hashed or unknown user, runs
// exactly one Argon2id verification at today's cost; the counter shows it.
TEST(UserDbPlaintextTest, EveryFullCheckRunsOneArgon2idVerification) {
  const UserDb db = parse_ok("bob:builder\ncarol:another secret\n");
  ASSERT_EQ(db.plaintext_count(), 2U);
  struct Case {
    const char* user;
    const char* password;
    bool ok;
  };
  const Case cases[] = {{"bob", "builder", true},     {"bob", "wrong", false},
                        {"bob", "", false},           {"carol", "another secret", true},
                        {"nobody", "builder", false}, {"carol", "builder", false}};
  std::uint64_t expected = 0;
  for (const Case& c : cases) {
    const UserDb::Verdict verdict = db.check(c.user, c.password);
    EXPECT_EQ(verdict.ok, c.ok) << c.user << ":" << c.password;
    EXPECT_EQ(verdict.method, UserDb::Method::kArgon2id) << c.user << ":" << c.password;
    EXPECT_EQ(db.argon2_checks(), ++expected) << c.user << ":" << c.password;
  }
}

TEST(UserDbPlaintextTest, ARecentlyVerifiedPlaintextPasswordTakesTheShortcut) {
  UserDb db = parse_ok("bob:builder\n");
  db.set_verified_ttl(std::chrono::seconds(60));
  EXPECT_EQ(db.check("bob", "builder").method, UserDb::Method::kArgon2id);
  const UserDb::Verdict again = db.check("bob", "builder");
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.method, UserDb::Method::kCache);
  EXPECT_EQ(db.argon2_checks(), 1U);
  // Migrated to a hash meanwhile (the same password, `sfs-admin migrate`
  // and a reload): the entry is void.
  auto hash = hash_password("builder");
  ASSERT_TRUE(hash.ok());
  auto file = AuthFile::parse("bob:" + *hash + "\n", "test");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(db.reload(*file).ok());
  EXPECT_EQ(db.check("bob", "builder").method, UserDb::Method::kArgon2id);
}

TEST_F(UserDbVerifiedTest, AReplacedHashVoidsWhatWasVerified) {
  db_->set_verified_ttl(std::chrono::seconds(60));
  ASSERT_TRUE(db_->verify("alice", "wonderland"));
  ASSERT_TRUE(db_->replace_hash("alice", db_->version("alice"), other_hash_));
  EXPECT_FALSE(db_->verify("alice", "wonderland"));
  EXPECT_TRUE(db_->verify("alice", "looking-glass"));
  EXPECT_EQ(db_->argon2_checks(), 3U);
}

TEST_F(UserDbVerifiedTest, AnEntryExpiresAfterItsTtl) {
  db_->set_verified_ttl(std::chrono::seconds(1));
  ASSERT_TRUE(db_->verify("alice", "wonderland"));
  ASSERT_TRUE(db_->verify("alice", "wonderland"));
  ASSERT_EQ(db_->argon2_checks(), 1U);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(db_->verify("alice", "wonderland"));
  EXPECT_EQ(db_->argon2_checks(), 2U);
}

// ---- reload: the auth file changed while the server runs ----------------------------

// An Argon2id hash at the lowest costs: fast, and it verifies like any other.
std::string cheap_hash(const std::string& password) {
  EXPECT_GE(sodium_init(), 0);
  char out[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
            0);
  return out;
}

UserDb::Changes reload_ok(UserDb& db, const std::string& text) {
  auto file = AuthFile::parse(text, "reload.txt");
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  if (!file.ok()) {
    return {};
  }
  auto changes = db.reload(*file);
  EXPECT_TRUE(changes.ok()) << (changes.ok() ? "" : changes.error().message);
  return changes.ok() ? *changes : UserDb::Changes{};
}

using Names = std::vector<std::string>;

TEST(UserDbReloadTest, AddedRemovedAndChangedUsers) {
  UserDb db = parse_ok("alice:one\nbob:two\ncarol:three\nerin:five\n");
  const std::uint64_t alice = db.version("alice");
  const std::uint64_t bob = db.version("bob");
  EXPECT_NE(alice, 0U);
  EXPECT_NE(alice, bob);
  const auto changes = reload_ok(db, "alice:one\nbob:TWO\ndave:four\nerin:five\n");
  EXPECT_EQ(changes.users, 4U);
  EXPECT_EQ(changes.added, Names{"dave"});
  EXPECT_EQ(changes.removed, Names{"carol"});
  EXPECT_EQ(changes.changed, Names{"bob"});
  EXPECT_EQ(db.size(), 4U);
  EXPECT_TRUE(db.verify("alice", "one"));
  EXPECT_TRUE(db.verify("bob", "TWO"));
  EXPECT_FALSE(db.verify("bob", "two"));
  EXPECT_FALSE(db.verify("carol", "three"));
  EXPECT_TRUE(db.verify("dave", "four"));
  // The version follows the password, not the reload.
  EXPECT_EQ(db.version("alice"), alice);
  EXPECT_NE(db.version("bob"), bob);
  EXPECT_NE(db.version("bob"), 0U);
  EXPECT_EQ(db.version("carol"), 0U);
  EXPECT_NE(db.version("dave"), 0U);
  EXPECT_EQ(db.version("mallory"), 0U);
}

TEST(UserDbReloadTest, OrderCommentsAndBlankLinesAreNoChange) {
  UserDb db = parse_ok("alice:one\nbob:two\n");
  const auto changes = reload_ok(db, "# moved around\n\nbob:two\r\nalice:one\n");
  EXPECT_EQ(changes.users, 2U);
  EXPECT_TRUE(changes.added.empty());
  EXPECT_TRUE(changes.removed.empty());
  EXPECT_TRUE(changes.changed.empty());
}

TEST(UserDbReloadTest, DeletedAndAddedAgainIsAnotherVersion) {
  UserDb db = parse_ok("alice:one\n");
  const std::uint64_t before = db.version("alice");
  reload_ok(db, "# nobody\n");
  EXPECT_EQ(db.version("alice"), 0U);
  EXPECT_EQ(reload_ok(db, "alice:one\n").added, Names{"alice"});
  EXPECT_NE(db.version("alice"), before);
}

// The server's own rehash writes the same password in a new form: no change,
// whether the new hash reached the file or the save failed.
TEST(UserDbReloadTest, ThisServersRehashIsNoPasswordChange) {
  const std::string weak = cheap_hash("wonderland");
  UserDb db = parse_ok("alice:" + weak + "\n");
  const std::uint64_t version = db.version("alice");
  ASSERT_TRUE(db.needs_rehash("alice"));
  auto strong = hash_password("wonderland");
  ASSERT_TRUE(strong.ok());
  const auto replaced = db.replace_hash("alice", version, *strong);
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(*replaced, weak);
  EXPECT_FALSE(db.needs_rehash("alice"));

  EXPECT_TRUE(reload_ok(db, "alice:" + *strong + "\n").changed.empty());  // saved
  EXPECT_EQ(db.version("alice"), version);
  EXPECT_TRUE(reload_ok(db, "alice:" + weak + "\n").changed.empty());  // not saved
  EXPECT_EQ(db.version("alice"), version);
  EXPECT_TRUE(db.needs_rehash("alice"));  // the file's form: the next login tries again
  EXPECT_TRUE(db.verify("alice", "wonderland"));
  // The same password hashed anew by someone else cannot be told apart.
  EXPECT_EQ(reload_ok(db, "alice:" + cheap_hash("wonderland") + "\n").changed, Names{"alice"});
}

TEST(UserDbReloadTest, ARehashAfterAPasswordChangeIsDropped) {
  UserDb db = parse_ok("alice:" + cheap_hash("old") + "\n");
  const std::uint64_t checked = db.version("alice");  // the login checked "old"
  const std::string fresh = cheap_hash("new");
  reload_ok(db, "alice:" + fresh + "\n");  // sfs-admin user passwd alice, meanwhile
  EXPECT_FALSE(db.replace_hash("alice", checked, cheap_hash("old")).has_value());
  EXPECT_TRUE(db.verify("alice", "new"));
  EXPECT_FALSE(db.verify("alice", "old"));
  EXPECT_FALSE(db.replace_hash("mallory", 0, fresh).has_value());
}

TEST(UserDbReloadTest, HashingAPlaintextLineIsAChange) {
  UserDb db = parse_ok("alice:wonderland\n");
  // sfs-admin migrate keeps the password, but only a keyed digest of the
  // plaintext was kept: nothing can tell.
  EXPECT_EQ(reload_ok(db, "alice:" + cheap_hash("wonderland") + "\n").changed, Names{"alice"});
  EXPECT_TRUE(db.verify("alice", "wonderland"));
  EXPECT_EQ(db.plaintext_count(), 0U);
}

TEST(UserDbReloadTest, TheLoginCacheKeepsOnlyUnchangedUsers) {
  const std::string alice = cheap_hash("wonderland");
  const std::string bob = cheap_hash("builder");
  UserDb db = parse_ok("alice:" + alice + "\nbob:" + bob + "\n");
  db.set_verified_ttl(std::chrono::seconds(60));
  ASSERT_TRUE(db.verify("alice", "wonderland"));
  ASSERT_TRUE(db.verify("bob", "builder"));
  ASSERT_EQ(db.argon2_checks(), 2U);
  reload_ok(db, "alice:" + alice + "\nbob:" + cheap_hash("builder") + "\n");
  EXPECT_TRUE(db.verify("alice", "wonderland"));  // still remembered
  EXPECT_EQ(db.argon2_checks(), 2U);
  EXPECT_TRUE(db.verify("bob", "builder"));  // forgotten: checked again
  EXPECT_EQ(db.argon2_checks(), 3U);
  reload_ok(db, "bob:" + bob + "\n");
  reload_ok(db, "alice:" + alice + "\nbob:" + bob + "\n");  // back, but a new account
  EXPECT_TRUE(db.verify("alice", "wonderland"));
  EXPECT_EQ(db.argon2_checks(), 4U);
}

// Unknown users cost what known ones do: an Argon2id dummy exactly while
// the file holds hashes.
// Unknown users cost one Argon2id run whatever the file holds (so timing
// tells neither them nor plaintext lines apart), before and after reloads.
TEST(UserDbReloadTest, UnknownUsersCostOneArgon2idRunWhateverTheFile) {
  UserDb db = parse_ok("carol:builder\n");
  EXPECT_FALSE(db.verify("mallory", "x"));
  EXPECT_EQ(db.argon2_checks(), 1U);
  reload_ok(db, "carol:builder\nalice:" + cheap_hash("wonderland") + "\n");
  EXPECT_FALSE(db.verify("mallory", "x"));
  EXPECT_EQ(db.argon2_checks(), 2U);
  reload_ok(db, "carol:builder\n");
  EXPECT_FALSE(db.verify("mallory", "x"));
  EXPECT_EQ(db.argon2_checks(), 3U);
}

TEST(UserDbReloadTest, VerifyWhileReloading) {
  UserDb db = parse_ok("alice:one\nbob:two\n");
  std::atomic<bool> stop{false};
  std::atomic<int> alice_failures{0};
  std::thread checker([&] {
    while (!stop) {
      alice_failures += db.verify("alice", "one") ? 0 : 1;
      (void)db.verify("bob", "two");
      (void)db.version("bob");
    }
  });
  for (int i = 0; i < 200; ++i) {
    reload_ok(db, i % 2 == 0 ? "alice:one\n" : "alice:one\nbob:two\n");
  }
  stop = true;
  checker.join();
  EXPECT_EQ(alice_failures, 0);  // never without her unchanged password
  EXPECT_EQ(db.size(), 2U);
}

}  // namespace
}  // namespace sfs::auth
