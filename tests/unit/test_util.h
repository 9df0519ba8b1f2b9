// Helpers the unit tests share, so that each test file says only what it
// tests: a temporary directory that removes itself, small file helpers, the
// garbage-line generator of the parser fuzz loops, and a fixture with a Store
// that holds user "alice".
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/result.h"
#include "storage/store.h"
#include "storage/user_tree.h"

namespace sfs::test {

// A fresh directory /tmp/<prefix>-XXXXXX, removed with all it holds when the
// object goes. path() is empty if mkdtemp failed; fixtures assert on that.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ignored;  // a destructor must not throw
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path` (created or truncated); fails the test if the
// write did not succeed.
inline void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// All bytes of the file at `path`; empty if it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names in directory `dir`, sorted.
inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The permission bits of `path` itself (lstat: a symlink is not followed);
// fails the test if it does not exist.
inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// A pseudo-random byte string for the garbage loops: mostly short, built from
// random bytes and the given pieces of the protocol, now and then very long
// or with a NUL. The same rng state and tokens give the same string.
inline std::string garbage_line(std::mt19937& rng, std::span<const std::string_view> tokens) {
  const std::size_t pieces = rng() % 16 == 0 ? rng() % 2000 : rng() % 12;
  std::string s;
  for (std::size_t i = 0; i < pieces; ++i) {
    if (rng() % 2 == 0) {
      s.push_back(static_cast<char>(rng() & 0xFF));
    } else {
      s += tokens[rng() % tokens.size()];
    }
  }
  if (rng() % 64 == 0) {
    s.push_back('\0');
  }
  if (rng() % 1000 == 0) {
    s.append(20000, static_cast<char>(rng() & 0xFF));
  }
  return s;
}

// The protocol pieces every garbage loop mixes in.
// clang-format off
inline constexpr std::string_view kProtocolTokens[] = {
    "LOGIN", "PUT", "GET", "VIEW", "DELETE", "LIST", "QUIT", "OK", "ERR", "AUTH", "BADPATH",
    "SFS", " ", "  ", "%", "%2", "%41", "%zz", "%C3%A9", "%00", "%2F", "/", "..", ".", ".sfs-",
    "0", "1", "007", "18446744073709551615", "18446744073709551616", "\n", "\r", "\t",
    "\xC3", "\xE2\x82\xAC", "\xED\xA0\x80", "\xFF", "f", "d", "a"};
// clang-format on

// kProtocolTokens followed by `extra`, for a test that mixes in its own words.
template <std::size_t N>
constexpr auto with_protocol_tokens(const std::string_view (&extra)[N]) {
  constexpr std::size_t kBase = std::size(kProtocolTokens);
  std::array<std::string_view, kBase + N> all{};
  std::copy(std::begin(kProtocolTokens), std::end(kProtocolTokens), all.begin());
  std::copy(extra, extra + N, all.begin() + kBase);
  return all;
}

// A fixture with a temporary directory base_ holding a Store at base_/root,
// the UserTree of "alice" (home_), and, if asked, a directory outside_ next to
// the store with secret.txt in it, for the escape tests to aim at.
class AliceTreeTest : public ::testing::Test {
 protected:
  AliceTreeTest(const std::string& prefix, bool with_outside)
      : dir_(prefix), with_outside_(with_outside) {}

  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    auto store = storage::Store::open(base_ / "root");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_.emplace(std::move(*store));
    auto tree = store_->user("alice");
    ASSERT_TRUE(tree.ok()) << tree.error().message;
    tree_.emplace(std::move(*tree));
    home_ = base_ / "root" / "u" / "alice";
    if (with_outside_) {
      outside_ = base_ / "outside";
      ASSERT_TRUE(std::filesystem::create_directory(outside_));
      write_file(outside_ / "secret.txt", "top secret");
    }
  }
  // Closes the tree and the store before dir_ removes what they hold.
  void TearDown() override {
    tree_.reset();
    store_.reset();
  }

  storage::UserTree& tree() { return *tree_; }

  // Uploads `content` to `relative` through the tree; the first error of
  // create, write or commit.
  Result<void> put_file(std::string_view relative, const std::string& content) {
    auto up = tree().create(relative);
    if (!up) {
      return up.error();
    }
    if (auto w = up->write(content.data(), content.size()); !w) {
      return w;
    }
    if (auto committed = up->commit(); !committed) {
      return committed.error();
    }
    return {};
  }

 private:
  TempDir dir_;  // first, so it goes last
  bool with_outside_;

 protected:
  const std::filesystem::path base_ = dir_.path();
  std::filesystem::path home_;
  std::filesystem::path outside_;
  std::optional<storage::Store> store_;
  std::optional<storage::UserTree> tree_;
};

}  // namespace sfs::test
