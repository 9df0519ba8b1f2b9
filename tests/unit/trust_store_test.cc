#include "client/trust_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "test_util.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::read_file;

constexpr char kFp1[] =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
    "89";
constexpr char kFp2[] =
    "11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:"
    "FF";

class TrustStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    file_ = base_ / "config" / "sfs" / "known_servers";
  }

  test::TempDir tmp_{"sfs-trust"};
  const fs::path base_ = tmp_.path();
  fs::path file_;
};

TEST_F(TrustStoreTest, MissingFileMeansUnknown) {
  const TrustStore store(file_);
  EXPECT_EQ(store.file(), file_);
  EXPECT_EQ(store.lookup("127.0.0.1:9001"), "");
  EXPECT_EQ(store.check("127.0.0.1:9001", kFp1), TrustStore::Verdict::kUnknown);
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(TrustStoreTest, AddCreatesPrivateDirectoryAndFile) {
  const TrustStore store(file_);
  ASSERT_TRUE(store.add("127.0.0.1:9001", kFp1).ok());
  ASSERT_TRUE(fs::is_regular_file(file_));
  EXPECT_EQ(mode_of(file_.parent_path()), 0700U);
  EXPECT_EQ(mode_of(file_), 0600U);
  EXPECT_EQ(read_file(file_), std::string("127.0.0.1:9001 ") + kFp1 + "\n");
}

TEST_F(TrustStoreTest, KnownUnknownChanged) {
  const TrustStore store(file_);
  ASSERT_TRUE(store.add("127.0.0.1:9001", kFp1).ok());
  EXPECT_EQ(store.lookup("127.0.0.1:9001"), kFp1);
  EXPECT_EQ(store.check("127.0.0.1:9001", kFp1), TrustStore::Verdict::kKnown);
  EXPECT_EQ(store.check("127.0.0.1:9001", kFp2), TrustStore::Verdict::kChanged);
  EXPECT_EQ(store.check("127.0.0.1:9002", kFp1), TrustStore::Verdict::kUnknown);
  EXPECT_EQ(store.check("localhost:9001", kFp1), TrustStore::Verdict::kUnknown);
  // A fresh object reads the same file.
  const TrustStore again(file_);
  EXPECT_EQ(again.check("127.0.0.1:9001", kFp1), TrustStore::Verdict::kKnown);
}

TEST_F(TrustStoreTest, SeveralServers) {
  const TrustStore store(file_);
  ASSERT_TRUE(store.add("127.0.0.1:9001", kFp1).ok());
  ASSERT_TRUE(store.add("[::1]:9001", kFp2).ok());
  ASSERT_TRUE(store.add("files.example:443", kFp2).ok());
  EXPECT_EQ(store.lookup("127.0.0.1:9001"), kFp1);
  EXPECT_EQ(store.lookup("[::1]:9001"), kFp2);
  EXPECT_EQ(store.lookup("files.example:443"), kFp2);
  EXPECT_EQ(mode_of(file_), 0600U);
  EXPECT_EQ(read_file(file_), std::string("127.0.0.1:9001 ") + kFp1 + "\n[::1]:9001 " + kFp2 +
                                  "\nfiles.example:443 " + kFp2 + "\n");
}

TEST_F(TrustStoreTest, LookupDoesNotMatchAPrefix) {
  const TrustStore store(file_);
  ASSERT_TRUE(store.add("127.0.0.1:9001", kFp1).ok());
  EXPECT_EQ(store.lookup("127.0.0.1:90"), "");
  EXPECT_EQ(store.lookup("127.0.0.1:900"), "");
  EXPECT_EQ(store.lookup("127.0.0.1"), "");
  EXPECT_EQ(store.lookup("127.0.0.1:90011"), "");
  EXPECT_EQ(store.lookup("27.0.0.1:9001"), "");
  EXPECT_EQ(store.lookup(""), "");
  EXPECT_EQ(store.check("127.0.0.1:90", kFp1), TrustStore::Verdict::kUnknown);
  // And a shorter pin does not match a longer name.
  ASSERT_TRUE(store.add("127.0.0.1:90", kFp2).ok());
  EXPECT_EQ(store.lookup("127.0.0.1:90"), kFp2);
  EXPECT_EQ(store.lookup("127.0.0.1:9001"), kFp1);
}

TEST_F(TrustStoreTest, FindTellsTheLineOfThePin) {
  const TrustStore store(file_);
  EXPECT_FALSE(store.find("127.0.0.1:9001").has_value());
  ASSERT_TRUE(store.add("127.0.0.1:9001", kFp1).ok());
  ASSERT_TRUE(store.add("localhost:9001", kFp2).ok());
  auto pin = store.find("localhost:9001");
  ASSERT_TRUE(pin.has_value());
  EXPECT_EQ(pin->fingerprint, kFp2);
  EXPECT_EQ(pin->line, 2U);
  pin = store.find("127.0.0.1:9001");
  ASSERT_TRUE(pin.has_value());
  EXPECT_EQ(pin->fingerprint, kFp1);
  EXPECT_EQ(pin->line, 1U);
  // Names are compared as written: no resolution, no aliasing.
  EXPECT_FALSE(store.find("localhost").has_value());
  EXPECT_FALSE(store.find("LOCALHOST:9001").has_value());
}

TEST_F(TrustStoreTest, ExistingDirectoryIsMadePrivate) {
  ASSERT_TRUE(fs::create_directories(file_.parent_path()));
  fs::permissions(file_.parent_path(), fs::perms::all);
  const TrustStore store(file_);
  ASSERT_TRUE(store.add("h:1", kFp1).ok());
  EXPECT_EQ(mode_of(file_.parent_path()), 0700U);
}

TEST_F(TrustStoreTest, AddFailsWhenDirectoryCannotBeCreated) {
  std::ofstream(base_ / "config") << "a file, not a directory";
  const TrustStore store(file_);
  auto r = store.add("h:1", kFp1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLocal);
}

// These tests change the environment. That is safe here: the test runs on one
// thread, so the NOLINTs below silence concurrency-mt-unsafe on purpose.
void set_env(const char* name, const char* value) {
  ASSERT_EQ(::setenv(name, value, 1), 0);  // NOLINT(concurrency-mt-unsafe)
}

void unset_env(const char* name) {
  ASSERT_EQ(::unsetenv(name), 0);  // NOLINT(concurrency-mt-unsafe)
}

class TrustStoreDefaultPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    save("XDG_CONFIG_HOME", &xdg_);
    save("HOME", &home_);
  }
  void TearDown() override {
    restore("XDG_CONFIG_HOME", xdg_);
    restore("HOME", home_);
  }

  static void save(const char* name, std::optional<std::string>* out) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (value != nullptr) {
      *out = value;
    }
  }
  static void restore(const char* name, const std::optional<std::string>& value) {
    if (value) {
      set_env(name, value->c_str());
    } else {
      unset_env(name);
    }
  }

  std::optional<std::string> xdg_;
  std::optional<std::string> home_;
};

TEST_F(TrustStoreDefaultPathTest, HonoursXdgConfigHome) {
  set_env("XDG_CONFIG_HOME", "/tmp/xdg-test");
  set_env("HOME", "/home/tester");
  EXPECT_EQ(TrustStore::default_path(), fs::path("/tmp/xdg-test/sfs/known_servers"));
}

TEST_F(TrustStoreDefaultPathTest, FallsBackToHome) {
  unset_env("XDG_CONFIG_HOME");
  set_env("HOME", "/home/tester");
  EXPECT_EQ(TrustStore::default_path(), fs::path("/home/tester/.config/sfs/known_servers"));
}

TEST_F(TrustStoreDefaultPathTest, IgnoresEmptyOrRelativeXdgConfigHome) {
  // The XDG spec: a relative path in $XDG_CONFIG_HOME is invalid and ignored.
  set_env("HOME", "/home/tester");
  set_env("XDG_CONFIG_HOME", "");
  EXPECT_EQ(TrustStore::default_path(), fs::path("/home/tester/.config/sfs/known_servers"));
  set_env("XDG_CONFIG_HOME", "relative/dir");
  EXPECT_EQ(TrustStore::default_path(), fs::path("/home/tester/.config/sfs/known_servers"));
}

TEST_F(TrustStoreDefaultPathTest, ShownFileAbbreviatesHome) {
  set_env("HOME", "/home/tester");
  EXPECT_EQ(TrustStore("/home/tester/.config/sfs/known_servers").shown_file(),
            "~/.config/sfs/known_servers");
  EXPECT_EQ(TrustStore("/home/testerx/known_servers").shown_file(), "/home/testerx/known_servers");
  EXPECT_EQ(TrustStore("/etc/sfs/known_servers").shown_file(), "/etc/sfs/known_servers");
  set_env("HOME", "/home/tester/");
  EXPECT_EQ(TrustStore("/home/tester/k").shown_file(), "~/k");
  unset_env("HOME");
  EXPECT_EQ(TrustStore("/home/tester/k").shown_file(), "/home/tester/k");
}

}  // namespace
}  // namespace sfs::client
