#include "auth/auth_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/password_hash.h"
#include "test_util.h"

namespace sfs::auth {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::names_in;
using test::read_file;
using test::write_file;

// A syntactically plausible Argon2id string (never verified here).
constexpr char kHash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";

AuthFile parse_ok(const std::string& text, const fs::path& file = {}) {
  auto parsed = AuthFile::parse(text, "test.txt", file);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) {
    return AuthFile::empty(file);  // the test fails above
  }
  return std::move(*parsed);
}

// Expects AuthFile::parse to fail with "SRC:LINE: " followed by a reason
// containing `why`.
void expect_line_error(const std::string& text, int line, const std::string& why) {
  auto parsed = AuthFile::parse(text, "SRC", {});
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << text;
  EXPECT_EQ(parsed.error().code, Errc::kBadRequest);
  const std::string prefix = "SRC:" + std::to_string(line) + ": ";
  EXPECT_TRUE(parsed.error().message.starts_with(prefix))
      << "message '" << parsed.error().message << "' does not start with '" << prefix << "'";
  EXPECT_NE(parsed.error().message.find(why, prefix.size()), std::string::npos)
      << "message '" << parsed.error().message << "' does not contain '" << why << "'";
}

std::vector<std::string> names_of(const AuthFile& file) {
  std::vector<std::string> names;
  for (const Entry& entry : file.entries()) {
    names.push_back(entry.name);
  }
  return names;
}

class AuthFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    file_ = dir_ / "id_passwd.txt";
  }

  // Parses `text` for file_, saves it and returns what was written.
  std::string resave(const std::string& text) {
    const AuthFile file = parse_ok(text, file_);
    const auto saved = file.save();
    EXPECT_TRUE(saved.ok()) << (saved.ok() ? "" : saved.error().message);
    return read_file(file_);
  }

  test::TempDir tmp_{"sfs-authfile"};
  const fs::path dir_ = tmp_.path();
  fs::path file_;
};

// Sets the umask for its lifetime.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

TEST(EntryTest, HashedMeansArgon2idPrefix) {
  EXPECT_TRUE((Entry{"a", kHash}).hashed());
  EXPECT_TRUE((Entry{"a", "$argon2id$"}).hashed());
  EXPECT_FALSE((Entry{"a", "plain"}).hashed());
  EXPECT_FALSE((Entry{"a", "$argon2i$v=19$m=4096,t=3,p=1$x$y"}).hashed());
  EXPECT_FALSE((Entry{"a", " $argon2id$x"}).hashed());
  EXPECT_FALSE((Entry{"a", "$ARGON2ID$x"}).hashed());
}

TEST(AuthFileParseTest, EntriesInOrder) {
  const AuthFile file =
      parse_ok("# users\nalice:wonderland\n\nbob:" + std::string(kHash) + "\ncarol:a:b:c\n");
  const std::vector<Entry> entries = file.entries();
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].name, "alice");
  EXPECT_EQ(entries[0].secret, "wonderland");
  EXPECT_FALSE(entries[0].hashed());
  EXPECT_EQ(entries[1].name, "bob");
  EXPECT_EQ(entries[1].secret, kHash);
  EXPECT_TRUE(entries[1].hashed());
  EXPECT_EQ(entries[2].name, "carol");
  EXPECT_EQ(entries[2].secret, "a:b:c");  // split at the first colon
}

TEST(AuthFileParseTest, EmptyText) {
  const AuthFile file = parse_ok("");
  EXPECT_TRUE(file.entries().empty());
  EXPECT_EQ(file.find("alice"), nullptr);
}

TEST(AuthFileParseTest, CrlfIsNotPartOfTheSecret) {
  const AuthFile file = parse_ok("# c\r\nalice:pw\r\n\r\nbob:" + std::string(kHash) + "\r\n");
  const std::vector<Entry> entries = file.entries();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].secret, "pw");
  EXPECT_EQ(entries[1].secret, kHash);
  EXPECT_TRUE(entries[1].hashed());
}

TEST(AuthFileParseTest, OnlyOneTrailingCrIsStripped) {
  const AuthFile file = parse_ok("alice:pw\r\r\n");
  ASSERT_NE(file.find("alice"), nullptr);
  EXPECT_EQ(file.find("alice")->secret, "pw\r");
}

TEST(AuthFileParseTest, WhitespaceOnlyLinesAreBlank) {
  const AuthFile file = parse_ok(" \n\t\n \t \r\nalice:pw\n   ");
  EXPECT_EQ(names_of(file), std::vector<std::string>{"alice"});
}

TEST(AuthFileParseTest, CommentOnlyAtLineStart) {
  const AuthFile file = parse_ok("#alice:pw\n#\nbob:#x\n");
  EXPECT_EQ(names_of(file), std::vector<std::string>{"bob"});
  EXPECT_EQ(file.find("bob")->secret, "#x");
  // An indented '#' is not a comment: " #c" is then a line without a colon.
  expect_line_error("alice:pw\n #c\n", 2, "expected user:password");
}

TEST(AuthFileParseTest, MissingColon) {
  expect_line_error("alice\n", 1, "expected user:password");
  expect_line_error("# c\n\nalice:ok\nbob\n", 4, "expected user:password");
  expect_line_error("alice:ok\r\n\r\n \t\r\nbob builder\r\n", 4, "expected user:password");
  expect_line_error("alice:ok\nbob", 2, "expected user:password");  // last line, no newline
}

TEST(AuthFileParseTest, InvalidName) {
  expect_line_error(":pw\n", 1, "invalid user name");
  expect_line_error("alice:ok\n\n../etc:pw\n", 3, "invalid user name");
  expect_line_error("a b:pw\n", 1, "invalid user name");
  expect_line_error(" alice:pw\n", 1, "invalid user name");
  expect_line_error(".hidden:pw\n", 1, "invalid user name");
  expect_line_error("-x:pw\n", 1, "invalid user name");
  expect_line_error(std::string(33, 'u') + ":pw\n", 1, "invalid user name");
  EXPECT_NE(parse_ok(std::string(32, 'u') + ":pw\n").find(std::string(32, 'u')), nullptr);
}

TEST(AuthFileParseTest, EmptySecret) {
  expect_line_error("alice:\n", 1, "password empty");
  expect_line_error("alice:ok\n# c\nbob:\r\n", 3, "password empty");
}

TEST(AuthFileParseTest, SecretOver1024Bytes) {
  const std::string max(1024, 's');
  const AuthFile file = parse_ok("alice:" + max + "\n");
  ASSERT_NE(file.find("alice"), nullptr);
  EXPECT_EQ(file.find("alice")->secret, max);
  expect_line_error("alice:" + max + "s\n", 1, "longer than 1024 bytes");
  expect_line_error("alice:ok\n\nbob:" + max + "s\r\n", 3, "longer than 1024 bytes");
}

TEST(AuthFileParseTest, DuplicateUser) {
  expect_line_error("alice:one\nbob:two\n# x\nalice:three\n", 4, "duplicate user 'alice'");
  expect_line_error("bob:1\nbob:" + std::string(kHash) + "\n", 2, "duplicate user 'bob'");
  // Names are case-sensitive: no duplicate.
  EXPECT_EQ(names_of(parse_ok("alice:1\nAlice:2\n")), (std::vector<std::string>{"alice", "Alice"}));
}

TEST(AuthFileParseTest, FirstErrorWins) {
  expect_line_error("alice:1\nalice:2\nbroken\n", 2, "duplicate user");
}

TEST(AuthFileEditTest, Find) {
  const AuthFile file = parse_ok("# alice:commented\nalice:one\nbob:two\n");
  const Entry* alice = file.find("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->secret, "one");
  ASSERT_NE(file.find("bob"), nullptr);
  EXPECT_EQ(file.find("bob")->secret, "two");
  EXPECT_EQ(file.find("Alice"), nullptr);
  EXPECT_EQ(file.find("# alice"), nullptr);
  EXPECT_EQ(file.find(""), nullptr);
  EXPECT_EQ(file.find("carol"), nullptr);
}

TEST_F(AuthFileTest, SetAddsAtTheEndAndReplacesInPlace) {
  AuthFile file = parse_ok("# head\nalice:a\n\n# tail\n", file_);
  file.set("bob", "b");
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"alice", "bob"}));
  file.set("alice", kHash);
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"alice", "bob"}));
  ASSERT_NE(file.find("alice"), nullptr);
  EXPECT_EQ(file.find("alice")->secret, kHash);
  EXPECT_TRUE(file.find("alice")->hashed());
  EXPECT_EQ(file.find("bob")->secret, "b");
  ASSERT_TRUE(file.save().ok());
  EXPECT_EQ(read_file(file_), "# head\nalice:" + std::string(kHash) + "\n\n# tail\nbob:b\n");
}

TEST_F(AuthFileTest, RemoveKeepsOtherLines) {
  AuthFile file = parse_ok("# head\nalice:a\nbob:b\n# tail\ncarol:c\n", file_);
  EXPECT_TRUE(file.remove("bob"));
  EXPECT_EQ(file.find("bob"), nullptr);
  EXPECT_FALSE(file.remove("bob"));
  EXPECT_FALSE(file.remove("nobody"));
  EXPECT_FALSE(file.remove("# head"));
  EXPECT_FALSE(file.remove(""));
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"alice", "carol"}));
  ASSERT_TRUE(file.save().ok());
  EXPECT_EQ(read_file(file_), "# head\nalice:a\n# tail\ncarol:c\n");
  // A removed user can be added again, at the end.
  file.set("bob", "again");
  EXPECT_EQ(names_of(file), (std::vector<std::string>{"alice", "carol", "bob"}));
}

TEST(AuthFileMigrateTest, HashesOnlyPlaintextEntries) {
  AuthFile file = parse_ok("alice:pw1\n# c\nbob:" + std::string(kHash) + "\ncarol:pw3\n");
  std::vector<std::string> calls;
  const auto fake_hash = [&](std::string_view plain) -> Result<std::string> {
    calls.emplace_back(plain);
    return "$argon2id$fake-" + std::string(plain);
  };
  auto migrated = file.migrate(fake_hash);
  ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  EXPECT_EQ(*migrated, 2U);
  EXPECT_EQ(calls, (std::vector<std::string>{"pw1", "pw3"}));
  EXPECT_EQ(file.find("alice")->secret, "$argon2id$fake-pw1");
  EXPECT_EQ(file.find("bob")->secret, kHash);
  EXPECT_EQ(file.find("carol")->secret, "$argon2id$fake-pw3");

  // Nothing is left to migrate.
  calls.clear();
  migrated = file.migrate(fake_hash);
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(*migrated, 0U);
  EXPECT_TRUE(calls.empty());
}

TEST(AuthFileMigrateTest, EmptyFileMigratesNothing) {
  AuthFile file = parse_ok("# nobody\n");
  bool called = false;
  auto migrated = file.migrate([&](std::string_view) -> Result<std::string> {
    called = true;
    return std::string(kHash);
  });
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(*migrated, 0U);
  EXPECT_FALSE(called);
}

TEST(AuthFileMigrateTest, HashErrorPropagates) {
  AuthFile file = parse_ok("alice:pw1\nbob:pw2\ncarol:pw3\n");
  int calls = 0;
  auto migrated = file.migrate([&](std::string_view plain) -> Result<std::string> {
    ++calls;
    if (plain == "pw2") {
      return make_error(Errc::kInternal, "out of memory for pw2");
    }
    return std::string(kHash);
  });
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, Errc::kInternal);
  EXPECT_EQ(migrated.error().message, "out of memory for pw2");
  EXPECT_EQ(calls, 2);  // stops at the first error
  EXPECT_EQ(file.find("carol")->secret, "pw3");
}

TEST_F(AuthFileTest, MigrateWithRealHashVerifies) {
  AuthFile file = parse_ok("alice:wonderland\n", file_);
  auto migrated = file.migrate(hash_password);
  ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  EXPECT_EQ(*migrated, 1U);
  const std::string secret = file.find("alice")->secret;
  EXPECT_TRUE(secret.starts_with("$argon2id$")) << secret;
  EXPECT_TRUE(verify_password(secret, "wonderland"));
  ASSERT_TRUE(file.save().ok());
  EXPECT_EQ(read_file(file_), "alice:" + secret + "\n");
}

TEST_F(AuthFileTest, SaveKeepsCommentsAndBlankLinesByteForByte) {
  const std::string text =
      "# sfs users\n\n  \n\t\n#\n# alice:old\nalice:wonderland\n \t \nbob:" + std::string(kHash) +
      "\ncarol:with:colons and spaces \n# end\n";
  EXPECT_EQ(resave(text), text);
}

TEST_F(AuthFileTest, SaveEndsTheLastLine) {
  EXPECT_EQ(resave("alice:pw"), "alice:pw\n");
  EXPECT_EQ(resave("# only a comment"), "# only a comment\n");
  EXPECT_EQ(resave(""), "");
}

TEST_F(AuthFileTest, CrlfFileSurvivesASave) {
  const AuthFile file = parse_ok("# c\r\nalice:pw\r\n\r\nbob:x\r\n", file_);
  ASSERT_TRUE(file.save().ok());
  auto reloaded = AuthFile::load(file_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  const std::vector<Entry> entries = reloaded->entries();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].name, "alice");
  EXPECT_EQ(entries[0].secret, "pw");
  EXPECT_EQ(entries[1].name, "bob");
  EXPECT_EQ(entries[1].secret, "x");
}

TEST_F(AuthFileTest, SaveMode0600EvenWithUmaskZero) {
  AuthFile file = AuthFile::empty(file_);
  file.set("alice", kHash);
  {
    const ScopedUmask umask(0);
    ASSERT_TRUE(file.save().ok());
  }
  EXPECT_EQ(mode_of(file_), 0600U);
}

TEST_F(AuthFileTest, SaveReplacesAnExistingFileAtomically) {
  write_file(file_, "alice:old\n");
  ASSERT_EQ(::chmod(file_.c_str(), 0644), 0);
  // A second name for the old file: an atomic save renames a new file over
  // the name, so the old inode keeps its old content.
  fs::create_hard_link(file_, dir_ / "old-link");

  auto file = AuthFile::load(file_);
  ASSERT_TRUE(file.ok()) << file.error().message;
  file->set("alice", "new");
  file->set("bob", "b");
  ASSERT_TRUE(file->save().ok());

  EXPECT_EQ(read_file(file_), "alice:new\nbob:b\n");
  EXPECT_EQ(read_file(dir_ / "old-link"), "alice:old\n");
  EXPECT_EQ(mode_of(file_), 0600U);
  EXPECT_EQ(names_in(dir_), (std::vector<std::string>{"id_passwd.txt", "old-link"}));
}

TEST_F(AuthFileTest, SaveTwiceLeavesNoTempFiles) {
  AuthFile file = AuthFile::empty(file_);
  file.set("alice", "a");
  ASSERT_TRUE(file.save().ok());
  file.set("bob", "b");
  ASSERT_TRUE(file.save().ok());
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"id_passwd.txt"});
  EXPECT_EQ(read_file(file_), "alice:a\nbob:b\n");
}

TEST_F(AuthFileTest, SaveIntoMissingDirectoryFails) {
  AuthFile file = AuthFile::empty(dir_ / "missing" / "id_passwd.txt");
  file.set("alice", "a");
  const auto saved = file.save();
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().code, Errc::kIo);
  EXPECT_FALSE(saved.error().message.empty());
  EXPECT_TRUE(names_in(dir_).empty());
}

TEST_F(AuthFileTest, FailedRenameLeavesNoTempFile) {
  // The file's name is taken by a non-empty directory: the rename fails.
  fs::create_directories(file_ / "sub");
  AuthFile file = AuthFile::empty(file_);
  file.set("alice", "a");
  const auto saved = file.save();
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().code, Errc::kIo);
  EXPECT_NE(saved.error().message.find("id_passwd.txt"), std::string::npos)
      << saved.error().message;
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"id_passwd.txt"});
  EXPECT_TRUE(fs::is_directory(file_ / "sub"));
}

TEST_F(AuthFileTest, EmptySetSaveCreatesTheFile) {
  ASSERT_FALSE(fs::exists(file_));
  AuthFile file = AuthFile::empty(file_);
  EXPECT_TRUE(file.entries().empty());
  file.set("alice", kHash);
  file.set("bob", "plain");
  ASSERT_TRUE(file.save().ok());
  EXPECT_EQ(read_file(file_), "alice:" + std::string(kHash) + "\nbob:plain\n");
  EXPECT_EQ(mode_of(file_), 0600U);

  auto reloaded = AuthFile::load(file_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(names_of(*reloaded), (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(AuthFileTest, EmptySaveWritesAnEmptyFile) {
  ASSERT_TRUE(AuthFile::empty(file_).save().ok());
  ASSERT_TRUE(fs::exists(file_));
  EXPECT_EQ(fs::file_size(file_), 0U);
}

TEST_F(AuthFileTest, LoadThenSaveIsByteForByte) {
  const std::string text = "# users\n\nalice:" + std::string(kHash) + "\n\t\nbob:pw\n";
  write_file(file_, text);
  auto file = AuthFile::load(file_);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(names_of(*file), (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(file->save().ok());  // saves to the loaded path
  EXPECT_EQ(read_file(file_), text);
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"id_passwd.txt"});
}

TEST_F(AuthFileTest, LoadMissingIsNotFound) {
  auto file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::kNotFound);
  EXPECT_NE(file.error().message.find(file_.string()), std::string::npos) << file.error().message;
}

TEST_F(AuthFileTest, LoadErrorNamesFileAndLine) {
  write_file(file_, "alice:ok\n\nbob:ok\nalice:again\n");
  auto file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::kBadRequest);
  EXPECT_TRUE(file.error().message.starts_with(file_.string() + ":4: ")) << file.error().message;
}

TEST_F(AuthFileTest, LoadTooLarge) {
  constexpr std::uintmax_t kLimit = 16U << 20;
  write_file(file_, "");
  fs::resize_file(file_, kLimit + 1);  // sparse
  auto file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::kTooLarge);
  EXPECT_NE(file.error().message.find(file_.string()), std::string::npos) << file.error().message;

  // Exactly at the limit the file is read (and 16 MiB of NUL bytes are one
  // line without a colon).
  fs::resize_file(file_, kLimit);
  file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::kBadRequest);
  EXPECT_TRUE(file.error().message.starts_with(file_.string() + ":1: ")) << file.error().message;
}

TEST_F(AuthFileTest, LoadDirectoryIsAnIoError) {
  fs::create_directory(file_);
  auto file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok()) << "a directory loaded as an auth file with " << file->entries().size()
                          << " entries";
  EXPECT_EQ(file.error().code, Errc::kIo) << file.error().message;
}

TEST_F(AuthFileTest, LoadUnreadableIsAnIoError) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root reads files whatever their mode";
  }
  write_file(file_, "alice:pw\n");
  ASSERT_EQ(::chmod(file_.c_str(), 0), 0);
  auto file = AuthFile::load(file_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, Errc::kIo) << file.error().message;
}

}  // namespace
}  // namespace sfs::auth
