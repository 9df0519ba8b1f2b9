// The storage-backend conformance suite: the contract of storage/backend.h
// (docs/storage.md), written against the interface only and run over every
// backend. A new backend (S3) adds one line to kBackends below.

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "asio/asio.h"
#include "crypto/digest.h"
#include "run_task.h"
#include "storage/backend.h"
#include "storage/memory/memory_backend.h"
#include "storage/posix/posix_backend.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_shared.h"
#include "tcp_relay.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

using test::run;

void run(awaitable<void> task) {
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        co_await std::move(task);
        done = true;
      },
      [](const std::exception_ptr& e) {
        if (e) {
          std::rethrow_exception(e);
        }
      });
  io.run();
  SFS_CHECK(done);
}

// A backend and whatever it needs to live (a directory, a thread pool).
class BackendUnderTest {
 public:
  virtual ~BackendUnderTest() = default;
  virtual Backend& backend() = 0;
};

class MemoryUnderTest final : public BackendUnderTest {
 public:
  Backend& backend() override { return backend_; }

 private:
  MemoryBackend backend_;
};

class PosixUnderTest final : public BackendUnderTest {
 public:
  explicit PosixUnderTest(InlineWork work = InlineWork::kOnPools)
      : dir_("sfs-conformance"), disk_(2) {
    SFS_CHECK(!dir_.path().empty());
    auto store = Store::open(dir_.path() / "root");
    SFS_CHECK(store.ok());
    backend_ =
        std::make_unique<PosixBackend>(std::move(*store), PosixPools{disk_, disk_, disk_}, work);
  }
  ~PosixUnderTest() override {
    backend_.reset();
    disk_.join();
  }
  Backend& backend() override { return *backend_; }

 private:
  test::TempDir dir_;  // first, so it goes last
  asio::thread_pool disk_;
  std::unique_ptr<PosixBackend> backend_;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Each test gets its own prefix in one bucket per process.
class S3UnderTest final : public BackendUnderTest {
 public:
  static std::unique_ptr<BackendUnderTest> make_if_live() {
    if (env("SFS_TEST_S3_ENDPOINT").empty()) {
      return nullptr;
    }
    return std::make_unique<S3UnderTest>();
  }
  static s3::S3BackendSettings settings() {
    static std::atomic<int> counter{0};
    s3::S3BackendSettings out;
    out.s3.endpoint = env("SFS_TEST_S3_ENDPOINT");
    out.s3.access_key = env("SFS_TEST_S3_ACCESS_KEY");
    out.s3.secret_key = env("SFS_TEST_S3_SECRET_KEY");
    out.s3.bucket = "conformance-" + std::to_string(::getpid());
    out.prefix = "t" + std::to_string(counter++);
    return out;
  }

  explicit S3UnderTest(s3::S3BackendSettings given = settings()) : pool_(4) {
    static std::once_flag bucket_made;
    std::call_once(bucket_made, [&] {
      auto client = s3::S3Client::create(given.s3, pool_);
      SFS_CHECK(client.ok());
      auto made = test::run((*client)->create_bucket());
      SFS_CHECK(made.ok());
    });
    auto made = s3::S3Backend::create(given, pool_);
    SFS_CHECK(made.ok());
    backend_ = std::move(*made);
  }
  ~S3UnderTest() override {
    backend_.reset();
    pool_.join();
  }
  Backend& backend() override { return *backend_; }
  s3::S3Backend& s3() { return *backend_; }

 private:
  asio::thread_pool pool_;
  std::unique_ptr<s3::S3Backend> backend_;
};

struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<BackendUnderTest>()> make;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const BackendParam& param, std::ostream* out) { *out << param.name; }

const BackendParam kBackends[] = {
    {"posix", [] { return std::make_unique<PosixUnderTest>(); }},
    // As on tmpfs: file data, opens, creates and commits inline.
    {"posix_inline", [] { return std::make_unique<PosixUnderTest>(InlineWork::kInline); }},
    {"memory", [] { return std::make_unique<MemoryUnderTest>(); }},
    {"s3", [] { return S3UnderTest::make_if_live(); }},
};

constexpr std::size_t kMaxPath = 4096;

template <typename T>
void expect_code(const Result<T>& r, Errc code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " succeeded";
  EXPECT_EQ(static_cast<int>(r.error().code), static_cast<int>(code))
      << what << ": " << r.error().message;
}

class BackendConformanceTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    if (!under_test_) {
      GTEST_SKIP() << "no S3 endpoint (tests/integration/test_s3_backend.py sets one)";
    }
    auto opened = run(backend().open_space("alice"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    space_ = std::move(*opened);
  }
  void TearDown() override {
    space_.reset();
    under_test_.reset();
  }

  Backend& backend() { return under_test_->backend(); }
  Space& space() { return *space_; }
  Capabilities caps() { return backend().capabilities(); }

  std::unique_ptr<WriteHandle> start(const std::string& path,
                                     std::optional<std::uint64_t> resumable = std::nullopt) {
    auto up = run(space().create(path, resumable));
    EXPECT_TRUE(up.ok()) << path << ": " << up.error().message;
    return up ? std::move(*up) : nullptr;
  }

  static Result<void> write(WriteHandle& up, const std::string& data) {
    return run(up.write(data.data(), data.size()));
  }

  // Uploads `content` to `path` in one go (with `digest` recorded if given).
  Result<Usage> put(const std::string& path, const std::string& content,
                    const std::string& digest = {}) {
    SFS_ASSIGN_OR_RETURN(auto up, run(space().create(path, std::nullopt)));
    SFS_RETURN_IF_ERROR(write(*up, content));
    if (!digest.empty()) {
      SFS_RETURN_IF_ERROR(run(up->set_digest(digest)));
    }
    return run(up->commit());
  }

  // Reads a whole file, in pieces (several even for small files), as a
  // download does.
  static Result<std::string> read_all(ReadHandle& file) {
    const std::size_t piece = std::max<std::size_t>(7, file.size() / 8);
    std::string data(file.size(), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      SFS_ASSIGN_OR_RETURN(std::size_t n, run(file.read_at(data.data() + done, piece, done)));
      if (n == 0) {
        break;
      }
      done += n;
    }
    data.resize(done);
    return data;
  }

  Result<std::string> get(const std::string& path) {
    SFS_ASSIGN_OR_RETURN(auto file, run(space().open_read(path)));
    return read_all(*file);
  }

  std::vector<std::string> names(const std::string& dir = {}) {
    std::vector<std::string> out;
    auto entries = run(space().list(dir));
    EXPECT_TRUE(entries.ok()) << dir << ": " << entries.error().message;
    if (entries) {
      for (const DirEntry& e : *entries) {
        out.push_back(e.name);
      }
    }
    return out;
  }

  Usage usage() {
    auto u = run(space().usage());
    EXPECT_TRUE(u.ok()) << u.error().message;
    return u ? *u : Usage{~0ULL, ~0ULL};
  }

  Result<Usage> mkdir(const std::string& path, bool parents = false) {
    return run(space().make_dir(path, parents, {}));
  }

  Result<Space::Moved> move(const std::string& from, const std::string& to,
                            std::size_t max = kMaxPath) {
    return run(space().move(from, to, max));
  }

  // Keeps a resumable upload of `path` (declared `size` bytes) holding
  // `data`; returns the bytes kept.
  std::uint64_t keep_partial(const std::string& path, std::uint64_t size, const std::string& data) {
    auto up = start(path, size);
    if (!up) {
      return 0;
    }
    EXPECT_TRUE(run(up->continue_at(0)).ok());
    EXPECT_TRUE(write(*up, data).ok());
    return run(up->keep_for_resume());
  }

  std::unique_ptr<BackendUnderTest> under_test_;
  std::unique_ptr<Space> space_;
};

// ---- atomic visibility -------------------------------------------------------------

TEST_P(BackendConformanceTest, AnUploadIsInvisibleUntilCommit) {
  auto up = start("a.txt");
  ASSERT_TRUE(up);
  ASSERT_TRUE(write(*up, "hello").ok());
  EXPECT_TRUE(names().empty());
  expect_code(run(space().open_read("a.txt")), Errc::kNotFound, "open_read before commit");
  expect_code(run(space().stat("a.txt")), Errc::kNotFound, "stat before commit");
  EXPECT_EQ(run(space().size_of("a.txt")), 0U);
  auto replaced = run(up->commit());
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(*replaced, (Usage{0, 0}));
  EXPECT_EQ(names(), std::vector<std::string>({"a.txt"}));
  auto content = get("a.txt");
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, "hello");
  EXPECT_EQ(run(space().size_of("a.txt")), 5U);
}

TEST_P(BackendConformanceTest, CommitReplacesAndAnOpenReaderKeepsItsSnapshot) {
  ASSERT_TRUE(put("f", "old").ok());
  auto reader = run(space().open_read("f"));
  ASSERT_TRUE(reader.ok());
  auto replaced = put("f", "new content");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(*replaced, (Usage{3, 1}));
  EXPECT_EQ((*reader)->size(), 3U);
  if (caps().snapshot_reads) {
    EXPECT_EQ(read_all(**reader).value(), "old");
  } else {  // the old content is gone: the read fails rather than mix
    expect_code(read_all(**reader), Errc::kIo, "a read after the name was replaced");
  }
  EXPECT_EQ(get("f").value(), "new content");
}

TEST_P(BackendConformanceTest, ADiscardedOrAbandonedPlainUploadLeavesNothing) {
  auto up = start("gone");
  ASSERT_TRUE(up);
  ASSERT_TRUE(write(*up, "data").ok());
  run(up->discard());
  auto abandoned = start("abandoned");
  ASSERT_TRUE(abandoned);
  ASSERT_TRUE(write(*abandoned, "data").ok());
  EXPECT_EQ(run(abandoned->keep_for_resume()), 0U);  // not resumable: nothing kept
  auto dropped = start("dropped");
  ASSERT_TRUE(dropped);
  ASSERT_TRUE(write(*dropped, "data").ok());
  dropped.reset();
  EXPECT_TRUE(names().empty());
  EXPECT_EQ(usage(), (Usage{0, 0}));
}

TEST_P(BackendConformanceTest, AnEmptyFileAndReadsAtAnyOffset) {
  ASSERT_TRUE(put("empty", "").ok());
  EXPECT_EQ(get("empty").value(), "");
  EXPECT_EQ(run(space().stat("empty")).value().size, 0U);
  ASSERT_TRUE(put("f", "0123456789").ok());
  auto file = run(space().open_read("f"));
  ASSERT_TRUE(file.ok());
  std::string buf(4, '\0');
  EXPECT_EQ(run((*file)->read_at(buf.data(), 4, 3)).value(), 4U);
  EXPECT_EQ(buf, "3456");
  EXPECT_EQ(run((*file)->read_at(buf.data(), 4, 8)).value(), 2U);
  EXPECT_EQ(buf.substr(0, 2), "89");
  EXPECT_EQ(run((*file)->read_at(buf.data(), 4, 10)).value(), 0U);
  EXPECT_EQ(run((*file)->read_at(buf.data(), 4, 1000)).value(), 0U);
}

TEST_P(BackendConformanceTest, HandlesOutliveTheirSpace) {
  ASSERT_TRUE(put("f", "kept").ok());
  auto reader = run(space().open_read("f"));
  ASSERT_TRUE(reader.ok());
  auto up = start("g");
  ASSERT_TRUE(up);
  space_.reset();
  EXPECT_EQ(read_all(**reader).value(), "kept");
  ASSERT_TRUE(write(*up, "late").ok());
  ASSERT_TRUE(run(up->commit()).ok());
  auto reopened = run(backend().open_space("alice"));
  ASSERT_TRUE(reopened.ok());
  space_ = std::move(*reopened);
  EXPECT_EQ(get("g").value(), "late");
}

TEST_P(BackendConformanceTest, AnUploadFollowsItsDirectoryWhenItMoves) {
  if (!caps().atomic_dir_rename) {
    GTEST_SKIP() << "directories are not renamed as one";
  }
  ASSERT_TRUE(mkdir("d").ok());
  auto up = start("d/f");
  ASSERT_TRUE(up);
  ASSERT_TRUE(write(*up, "moved along").ok());
  ASSERT_TRUE(move("d", "e").ok());
  ASSERT_TRUE(run(up->commit()).ok());
  EXPECT_EQ(get("e/f").value(), "moved along");
  EXPECT_EQ(names(), std::vector<std::string>({"e"}));
}

TEST_P(BackendConformanceTest, CommitOverADirectoryThatTookTheNameIsIsDir) {
  auto up = start("name");
  ASSERT_TRUE(up);
  ASSERT_TRUE(write(*up, "data").ok());
  ASSERT_TRUE(mkdir("name").ok());
  expect_code(run(up->commit()), Errc::kIsDir, "commit over a directory");
}

// ---- resume --------------------------------------------------------------------------

TEST_P(BackendConformanceTest, AnInterruptedResumableUploadKeepsItsPartialForTheNext) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  EXPECT_EQ(keep_partial("big", 10, "hello"), 5U);
  EXPECT_TRUE(names().empty());       // a partial is never listed
  EXPECT_EQ(usage(), (Usage{5, 1}));  // but the quotas count it
  auto up = start("big", 10);
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->resumable());
  ASSERT_EQ(up->held(), 5U);
  EXPECT_EQ(usage(), (Usage{0, 0}));  // its upload accounts for it now
  std::string held(5, '\0');
  EXPECT_EQ(run(up->read_at(held.data(), held.size(), 0)).value(), 5U);
  EXPECT_EQ(held, "hello");
  ASSERT_TRUE(run(up->continue_at(5)).ok());
  ASSERT_TRUE(write(*up, "world").ok());
  ASSERT_TRUE(run(up->commit()).ok());
  EXPECT_EQ(get("big").value(), "helloworld");
  EXPECT_EQ(usage(), (Usage{10, 1}));
  auto again = start("big", 10);  // the partial became the file
  ASSERT_TRUE(again);
  EXPECT_EQ(again->held(), 0U);
}

TEST_P(BackendConformanceTest, APartialBelongsToOneNameAndSize) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  ASSERT_EQ(keep_partial("big", 10, "hello"), 5U);
  EXPECT_EQ(start("big", 11)->held(), 0U);
  EXPECT_EQ(start("other", 10)->held(), 0U);
  EXPECT_EQ(start("big", 10)->held(), 5U);
}

TEST_P(BackendConformanceTest, ContinuingAtZeroStartsAfreshAndDiscardDropsThePartial) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  ASSERT_EQ(keep_partial("f", 10, "hello"), 5U);
  auto up = start("f", 10);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->held(), 5U);
  ASSERT_TRUE(run(up->continue_at(0)).ok());
  ASSERT_TRUE(write(*up, "0123").ok());
  run(up->discard());
  EXPECT_EQ(usage(), (Usage{0, 0}));
  auto fresh = start("f", 10);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->held(), 0U);
  ASSERT_TRUE(run(fresh->continue_at(0)).ok());
  ASSERT_TRUE(write(*fresh, "0123456789").ok());
  ASSERT_TRUE(run(fresh->commit()).ok());
  EXPECT_EQ(get("f").value(), "0123456789");
}

TEST_P(BackendConformanceTest, AnAbandonedResumableUploadIsKeptAndAnEmptyOneIsNot) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  auto up = start("f", 10);
  ASSERT_TRUE(up);
  ASSERT_TRUE(run(up->continue_at(0)).ok());
  ASSERT_TRUE(write(*up, "abc").ok());
  up.reset();  // a cut connection: destroyed without commit
  EXPECT_EQ(start("f", 10)->held(), 3U);
  EXPECT_EQ(keep_partial("empty", 10, ""), 0U);
  EXPECT_EQ(usage(), (Usage{3, 1}));
}

TEST_P(BackendConformanceTest, APartialInUseIsNotSharedWithASecondUpload) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  ASSERT_EQ(keep_partial("f", 6, "abc"), 3U);
  auto first = start("f", 6);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->held(), 3U);
  auto second = start("f", 6);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->held(), 0U);
  ASSERT_TRUE(write(*second, "second").ok());
  ASSERT_TRUE(run(second->commit()).ok());
  ASSERT_TRUE(run(first->continue_at(3)).ok());
  ASSERT_TRUE(write(*first, "def").ok());
  ASSERT_TRUE(run(first->commit()).ok());
  EXPECT_EQ(get("f").value(), "abcdef");
}

TEST_P(BackendConformanceTest, RemoveStaleDropsIdlePartialsButNotRunningUploads) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  ASSERT_EQ(keep_partial("idle", 10, "hello"), 5U);
  auto running = start("running", 10);
  ASSERT_TRUE(running);
  ASSERT_TRUE(run(running->continue_at(0)).ok());
  ASSERT_TRUE(write(*running, "abc").ok());
  EXPECT_GE(run(backend().remove_stale(std::chrono::seconds(0))), 1U);
  EXPECT_EQ(usage(), (Usage{0, 0}));
  EXPECT_EQ(start("idle", 10)->held(), 0U);
  ASSERT_TRUE(run(running->commit()).ok());
  EXPECT_EQ(get("running").value(), "abc");
}

TEST_P(BackendConformanceTest, APartialMovesWithItsDirectory) {
  if (!caps().resumable_partials) {
    GTEST_SKIP() << "no resumable partials";
  }
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_EQ(keep_partial("d/f", 10, "hello"), 5U);
  ASSERT_TRUE(move("d", "e").ok());
  EXPECT_EQ(start("e/f", 10)->held(), 5U);
}

// ---- digests -------------------------------------------------------------------------

TEST_P(BackendConformanceTest, ADigestSetBeforeCommitIsStoredWithTheFile) {
  const std::string digest = crypto::digest_of("content");
  ASSERT_TRUE(put("f", "content", digest).ok());
  EXPECT_EQ(run(space().stat("f")).value().digest, digest);
  EXPECT_EQ(run(space().list("")).value().at(0).digest, digest);
  auto file = run(space().open_read("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(run((*file)->stored_digest()), digest);
  EXPECT_EQ(run((*file)->compute_digest()).value(), digest);
  auto checks = run(space().verify());
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1U);
  EXPECT_EQ(checks->at(0).name, "f");
  EXPECT_EQ(checks->at(0).status, FileCheck::Status::kOk);
}

// ---- modification times ---------------------------------------------------------------

TEST_P(BackendConformanceTest, AModificationTimeSetBeforeCommitIsTheFiles) {
  constexpr std::int64_t kThen = 1'000'000'000;  // 2001-09-09
  auto up = start("kept-time");
  ASSERT_TRUE(up);
  ASSERT_TRUE(write(*up, "data").ok());
  up->set_mtime(kThen);
  ASSERT_TRUE(run(up->commit()).ok());
  EXPECT_EQ(run(space().stat("kept-time")).value().mtime, kThen);
  EXPECT_EQ(run(space().list("")).value().at(0).mtime, kThen);
  ASSERT_TRUE(put("now", "data").ok());  // without: the commit's time
  EXPECT_GT(run(space().stat("now")).value().mtime, kThen);
}

TEST_P(BackendConformanceTest, AFileStoredWithoutADigestCanBeBackFilled) {
  ASSERT_TRUE(put("f", "content").ok());
  EXPECT_EQ(run(space().stat("f")).value().digest, "");
  EXPECT_EQ(run(space().verify()).value().at(0).status, FileCheck::Status::kUnhashed);
  auto file = run(space().open_read("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(run((*file)->stored_digest()), "");
  const std::string digest = run((*file)->compute_digest()).value();
  EXPECT_EQ(digest, crypto::digest_of("content"));
  ASSERT_TRUE(run((*file)->store_digest(digest)).ok());
  const std::string expected = caps().mutable_digests ? digest : "";
  EXPECT_EQ(run((*file)->stored_digest()), expected);
  EXPECT_EQ(run(space().stat("f")).value().digest, expected);
  if (caps().mutable_digests) {
    EXPECT_EQ(run(space().verify()).value().at(0).status, FileCheck::Status::kOk);
  }
}

TEST_P(BackendConformanceTest, VerifyWalksFilesBeforeSubdirectoriesInNameOrder) {
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_TRUE(mkdir("c").ok());
  ASSERT_TRUE(put("d/z", "z").ok());
  ASSERT_TRUE(put("c/y", "y").ok());
  ASSERT_TRUE(put("b", "b").ok());
  ASSERT_TRUE(put("a", "a").ok());
  auto checks = run(space().verify());
  ASSERT_TRUE(checks.ok());
  std::vector<std::string> order;
  for (const FileCheck& c : *checks) {
    order.push_back(c.name);
  }
  EXPECT_EQ(order, std::vector<std::string>({"a", "b", "c/y", "d/z"}));
}

// ---- listing and stat ----------------------------------------------------------------

TEST_P(BackendConformanceTest, AListingIsSortedByNameWithTypesAndSizes) {
  ASSERT_TRUE(mkdir("m").ok());
  ASSERT_TRUE(put("b", "bb").ok());
  ASSERT_TRUE(put("a", "a").ok());
  ASSERT_TRUE(put("Z", "zzz").ok());
  auto entries = run(space().list(""));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4U);
  EXPECT_EQ(names(), std::vector<std::string>({"Z", "a", "b", "m"}));
  EXPECT_FALSE(entries->at(0).is_dir);
  EXPECT_EQ(entries->at(0).size, 3U);
  EXPECT_EQ(entries->at(2).size, 2U);
  EXPECT_TRUE(entries->at(3).is_dir);
  EXPECT_GT(entries->at(1).mtime, 0);
  EXPECT_TRUE(names("m").empty());
  expect_code(run(space().list("a")), Errc::kNotDir, "list a file");
  expect_code(run(space().list("missing")), Errc::kNotFound, "list a missing directory");
}

TEST_P(BackendConformanceTest, AListingHidesUploadsInProgressAndPartials) {
  auto running = start("running");
  ASSERT_TRUE(running);
  ASSERT_TRUE(write(*running, "x").ok());
  if (caps().resumable_partials) {
    ASSERT_EQ(keep_partial("partial", 10, "abc"), 3U);
  }
  EXPECT_TRUE(names().empty());
  expect_code(run(space().stat("running")), Errc::kNotFound, "stat of an upload");
  expect_code(run(space().stat("partial")), Errc::kNotFound, "stat of a partial");
}

TEST_P(BackendConformanceTest, StatNamesThePathAskedAbout) {
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_TRUE(put("d/f", "four").ok());
  auto file = run(space().stat("d/f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->name, "d/f");
  EXPECT_FALSE(file->is_dir);
  EXPECT_EQ(file->size, 4U);
  auto dir = run(space().stat("d"));
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->is_dir);
  expect_code(run(space().stat("d/missing")), Errc::kNotFound, "stat missing");
}

// ---- files ---------------------------------------------------------------------------

TEST_P(BackendConformanceTest, OpenCreateAndRemoveRefuseWhatIsNotAFile) {
  ASSERT_TRUE(mkdir("d").ok());
  expect_code(run(space().open_read("d")), Errc::kIsDir, "open_read a directory");
  expect_code(run(space().open_read("missing")), Errc::kNotFound, "open_read missing");
  expect_code(run(space().create("d", std::nullopt)), Errc::kIsDir, "create over a directory");
  expect_code(run(space().create("missing/f", std::nullopt)), Errc::kNotFound,
              "create without its parent");
  expect_code(run(space().remove("d")), Errc::kIsDir, "remove a directory");
  expect_code(run(space().remove("missing")), Errc::kNotFound, "remove missing");
  EXPECT_EQ(run(space().size_of("d")), 0U);
}

TEST_P(BackendConformanceTest, RemoveReturnsWhatWent) {
  ASSERT_TRUE(put("f", "12345").ok());
  auto removed = run(space().remove("f"));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (Usage{5, 1}));
  EXPECT_TRUE(names().empty());
}

TEST_P(BackendConformanceTest, SpacesOfTwoUsersAreSeparate) {
  ASSERT_TRUE(put("f", "alice's").ok());
  auto bob = run(backend().open_space("bob"));
  ASSERT_TRUE(bob.ok());
  expect_code(run((*bob)->open_read("f")), Errc::kNotFound, "bob reads alice's file");
  EXPECT_TRUE(run((*bob)->list("")).value().empty());
  auto again = run(backend().open_space("alice"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(run((*again)->size_of("f")), 7U);
  for (const char* name : {"", ".", "..", "a/b", "../bob"}) {
    expect_code(run(backend().open_space(name)), Errc::kBadPath, std::string("user ") + name);
  }
}

// ---- directories ---------------------------------------------------------------------

TEST_P(BackendConformanceTest, MakeDirRules) {
  EXPECT_EQ(mkdir("a").value(), (Usage{0, 1}));
  expect_code(mkdir("a"), Errc::kExists, "mkdir twice");
  expect_code(mkdir("x/y"), Errc::kNotFound, "mkdir without its parent");
  EXPECT_EQ(mkdir("x/y/z", true).value(), (Usage{0, 3}));
  EXPECT_EQ(mkdir("x/y/z", true).value(), (Usage{0, 0}));
  ASSERT_TRUE(put("f", "file").ok());
  expect_code(mkdir("f"), Errc::kExists, "mkdir over a file");
  expect_code(mkdir("f/g", true), Errc::kNotDir, "mkdir -p through a file");
}

TEST_P(BackendConformanceTest, MakeDirAsksAdmitBeforeMakingAnything) {
  std::vector<std::uint64_t> asked;
  auto refuse = [&](std::uint64_t count) -> Result<void> {
    asked.push_back(count);
    return make_error(Errc::kTooLarge, "quota");
  };
  ASSERT_TRUE(mkdir("a").ok());
  expect_code(run(space().make_dir("a/b/c", true, refuse)), Errc::kTooLarge, "refused -p");
  expect_code(run(space().make_dir("n", false, refuse)), Errc::kTooLarge, "refused mkdir");
  EXPECT_EQ(asked, std::vector<std::uint64_t>({2, 1}));
  EXPECT_EQ(names(), std::vector<std::string>({"a"}));
  EXPECT_TRUE(names("a").empty());
  auto admit = [&](std::uint64_t count) -> Result<void> {
    asked.push_back(count);
    return {};
  };
  EXPECT_EQ(run(space().make_dir("a", true, admit)).value(), (Usage{0, 0}));
  EXPECT_EQ(asked.size(), 2U);  // nothing to make: nothing asked
}

TEST_P(BackendConformanceTest, DirectoriesNestAtMostKMaxDirDepth) {
  std::string deepest = "d";
  for (int i = 1; i < kMaxDirDepth; ++i) {
    deepest += "/d";
  }
  EXPECT_EQ(mkdir(deepest, true).value(), (Usage{0, static_cast<std::uint64_t>(kMaxDirDepth)}));
  expect_code(mkdir(deepest + "/d", true), Errc::kTooLarge, "one level too deep");
  expect_code(mkdir(deepest + "/d"), Errc::kTooLarge, "one level too deep without -p");
  ASSERT_TRUE(put(deepest + "/f", "deep").ok());
  EXPECT_EQ(usage(), (Usage{4, static_cast<std::uint64_t>(kMaxDirDepth) + 1}));
  ASSERT_TRUE(mkdir("two/levels", true).ok());
  std::string almost = deepest.substr(0, deepest.size() - 2);  // one level less
  expect_code(move("two", almost), Errc::kTooLarge, "moving a subtree too deep");
}

TEST_P(BackendConformanceTest, RemoveDirRules) {
  ASSERT_TRUE(mkdir("full").ok());
  ASSERT_TRUE(put("full/f", "x").ok());
  ASSERT_TRUE(put("file", "x").ok());
  expect_code(run(space().remove_dir("full")), Errc::kNotEmpty, "rmdir non-empty");
  expect_code(run(space().remove_dir("file")), Errc::kNotDir, "rmdir a file");
  expect_code(run(space().remove_dir("missing")), Errc::kNotFound, "rmdir missing");
  ASSERT_TRUE(mkdir("empty").ok());
  EXPECT_EQ(run(space().remove_dir("empty")).value(), (Usage{0, 1}));
  EXPECT_EQ(names(), std::vector<std::string>({"file", "full"}));
}

TEST_P(BackendConformanceTest, RemoveDirTakesIdlePartialsButNotARunningUpload) {
  ASSERT_TRUE(mkdir("busy").ok());
  auto running = start("busy/f");
  ASSERT_TRUE(running);
  ASSERT_TRUE(write(*running, "x").ok());
  expect_code(run(space().remove_dir("busy")), Errc::kNotEmpty, "rmdir while an upload runs");
  ASSERT_TRUE(run(running->commit()).ok());
  EXPECT_EQ(get("busy/f").value(), "x");
  if (!caps().resumable_partials) {
    return;
  }
  ASSERT_TRUE(mkdir("left").ok());
  ASSERT_EQ(keep_partial("left/f", 10, "hello"), 5U);
  EXPECT_EQ(run(space().remove_dir("left")).value(), (Usage{5, 2}));
}

// ---- move ----------------------------------------------------------------------------

TEST_P(BackendConformanceTest, MoveIntoADirectory) {
  ASSERT_TRUE(put("f", "data").ok());
  ASSERT_TRUE(mkdir("d").ok());
  auto moved = move("f", "d");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->path, "d/f");
  EXPECT_EQ(moved->replaced, (Usage{0, 0}));
  EXPECT_EQ(get("d/f").value(), "data");
  EXPECT_EQ(names(), std::vector<std::string>({"d"}));
}

TEST_P(BackendConformanceTest, MoveOverAFileReplacesIt) {
  const std::string digest = crypto::digest_of("1");
  ASSERT_TRUE(put("a", "1", digest).ok());
  ASSERT_TRUE(put("b", "22").ok());
  auto moved = move("a", "b");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->path, "b");
  EXPECT_EQ(moved->replaced, (Usage{2, 1}));
  EXPECT_EQ(get("b").value(), "1");
  EXPECT_EQ(run(space().stat("b")).value().digest, digest);  // the digest travels along
  EXPECT_EQ(names(), std::vector<std::string>({"b"}));
}

TEST_P(BackendConformanceTest, MoveRefusesADirectoryOverAFileAndAFileOverADirectory) {
  ASSERT_TRUE(mkdir("d/f", true).ok());
  ASSERT_TRUE(put("f", "x").ok());
  expect_code(move("d", "f"), Errc::kNotDir, "directory over a file");
  expect_code(move("f", "d"), Errc::kIsDir, "file over d/f, a directory");
  EXPECT_EQ(get("f").value(), "x");
}

TEST_P(BackendConformanceTest, MoveRefusesADirectoryIntoItself) {
  ASSERT_TRUE(mkdir("a/b", true).ok());
  expect_code(move("a", "a/b"), Errc::kBadPath, "into its own subdirectory");
  expect_code(move("a", "a/c"), Errc::kBadPath, "to a new name inside itself");
  expect_code(move("a", "a"), Errc::kBadPath, "like mv: into itself, as a/a");
  ASSERT_TRUE(put("f", "x").ok());
  auto same = move("f", "f");  // a file onto itself: nothing to do, like rename(2)
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->path, "f");
  EXPECT_EQ(get("f").value(), "x");
  EXPECT_EQ(names("a"), std::vector<std::string>({"b"}));
}

TEST_P(BackendConformanceTest, MoveOverANonEmptyDirectoryIsRefusedAndOverAnEmptyOneReplacesIt) {
  ASSERT_TRUE(mkdir("src/x", true).ok());
  ASSERT_TRUE(put("src/x/f", "x").ok());
  ASSERT_TRUE(mkdir("dst/x/full", true).ok());
  expect_code(move("src/x", "dst"), Errc::kNotEmpty, "over a non-empty directory");
  ASSERT_TRUE(run(space().remove_dir("dst/x/full")).ok());
  auto moved = move("src/x", "dst");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->path, "dst/x");
  EXPECT_EQ(moved->replaced, (Usage{0, 1}));
  EXPECT_EQ(get("dst/x/f").value(), "x");
  EXPECT_TRUE(names("src").empty());
}

TEST_P(BackendConformanceTest, MoveChecksTheSourceAndTheFinalPathLength) {
  ASSERT_TRUE(put("f", "x").ok());
  expect_code(move("missing", "g"), Errc::kNotFound, "missing source");
  expect_code(move("f", "missing/g"), Errc::kNotFound, "missing target directory");
  expect_code(move("f", "longer-name", 5), Errc::kTooLarge, "final path too long");
  ASSERT_TRUE(move("f", "g").ok());
  EXPECT_EQ(names(), std::vector<std::string>({"g"}));
}

// ---- usage ---------------------------------------------------------------------------

TEST_P(BackendConformanceTest, UsageCountsFilesAndDirectoriesButNotRunningUploads) {
  EXPECT_EQ(usage(), (Usage{0, 0}));
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_TRUE(put("d/a", "abc").ok());
  ASSERT_TRUE(put("b", "12345").ok());
  auto running = start("c");
  ASSERT_TRUE(running);
  ASSERT_TRUE(write(*running, "not counted").ok());
  EXPECT_EQ(usage(), (Usage{8, 3}));
  ASSERT_TRUE(run(space().remove("b")).ok());
  EXPECT_EQ(usage(), (Usage{3, 2}));
}

// ---- path rules ----------------------------------------------------------------------

TEST_P(BackendConformanceTest, ReservedNamesAndPathTricksAreRefusedEverywhere) {
  ASSERT_TRUE(put("f", "x").ok());
  ASSERT_TRUE(mkdir("d").ok());
  const std::vector<std::string> bad = {
      ".sfs-tmp-0",
      "d/.sfs-part-x",
      ".sfs-",
      "..",
      "../f",
      "d/../f",
      "/f",
      "/etc/passwd",
      "d//f",
      "d/",
      ".",
      "./f",
      std::string("f\0g", 3),
      "",
  };
  for (const std::string& path : bad) {
    const std::string shown = "'" + path + "'";
    expect_code(run(space().open_read(path)), Errc::kBadPath, "open_read " + shown);
    expect_code(run(space().create(path, std::nullopt)), Errc::kBadPath, "create " + shown);
    expect_code(run(space().create(path, 5)), Errc::kBadPath, "create resumable " + shown);
    expect_code(run(space().remove(path)), Errc::kBadPath, "remove " + shown);
    expect_code(run(space().stat(path)), Errc::kBadPath, "stat " + shown);
    expect_code(mkdir(path), Errc::kBadPath, "mkdir " + shown);
    expect_code(mkdir(path, true), Errc::kBadPath, "mkdir -p " + shown);
    expect_code(run(space().remove_dir(path)), Errc::kBadPath, "rmdir " + shown);
    expect_code(move("f", path), Errc::kBadPath, "move to " + shown);
    expect_code(move(path, "g"), Errc::kBadPath, "move from " + shown);
    if (!path.empty()) {
      expect_code(run(space().list(path)), Errc::kBadPath, "list " + shown);
    }
  }
  EXPECT_EQ(names(), std::vector<std::string>({"d", "f"}));
  EXPECT_EQ(usage(), (Usage{1, 2}));
}

// ---- concurrency ---------------------------------------------------------------------

TEST_P(BackendConformanceTest, OfTwoUploadsToOneNameTheLastCommitWins) {
  auto first = start("f");
  auto second = start("f");
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(write(*first, "first").ok());
  ASSERT_TRUE(write(*second, "second!").ok());
  ASSERT_TRUE(write(*first, "+more").ok());
  ASSERT_TRUE(run(second->commit()).ok());
  EXPECT_EQ(get("f").value(), "second!");
  auto replaced = run(first->commit());
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, (Usage{7, 1}));
  EXPECT_EQ(get("f").value(), "first+more");
}

// Threads upload whole files of one repeated letter to one name while
// another reads it: every read sees one whole upload, never a mix.
TEST_P(BackendConformanceTest, ConcurrentUploadsToOneNameNeverTear) {
  constexpr std::size_t kSize = std::size_t{16} * 1024;
  constexpr int kWriters = 3;
  constexpr int kRounds = 8;
  ASSERT_TRUE(put("hot", std::string(kSize, '-')).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, letter = static_cast<char>('a' + w)] {
      const std::string piece(kSize / 4, letter);
      for (int round = 0; round < kRounds; ++round) {
        auto up = run(space().create("hot", std::nullopt));
        bool ok = up.ok();
        for (int i = 0; ok && i < 4; ++i) {
          ok = write(**up, piece).ok();
        }
        ok = ok && run((*up)->commit()).ok();
        failures += ok ? 0 : 1;
      }
    });
  }
  int torn = 0;
  for (int i = 0; i < kWriters * kRounds; ++i) {
    auto seen = get("hot");
    if (!seen && !caps().snapshot_reads && seen.error().code == Errc::kIo) {
      continue;  // replaced while read: refused, not torn
    }
    if (!seen || seen->size() != kSize ||
        seen->find_first_not_of(seen->front()) != std::string::npos) {
      ++torn;
    }
  }
  for (auto& t : writers) {
    t.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(torn, 0);
  const std::string last = get("hot").value();
  EXPECT_EQ(last.size(), kSize);
  EXPECT_NE(last.front(), '-');
  EXPECT_EQ(last.find_first_not_of(last.front()), std::string::npos);
  EXPECT_EQ(names(), std::vector<std::string>({"hot"}));
  EXPECT_EQ(usage(), (Usage{kSize, 1}));
}

// ---- dead properties -----------------------------------------------------------------

DeadProp prop(const std::string& name, const std::string& value, const std::string& lang = {}) {
  return DeadProp{"urn:test:" + name, name, lang, value};
}
PropChange set(DeadProp p) { return PropChange{false, std::move(p)}; }
PropChange unset(const std::string& name) { return PropChange{true, prop(name, "")}; }

TEST_P(BackendConformanceTest, DeadPropsAreKeptByteForByteInOrderAndChangedInOrder) {
  ASSERT_TRUE(put("f", "x").ok());
  EXPECT_TRUE(run(space().dead_props("f")).value().empty());
  const DeadProp a = prop("a", "<x:v xmlns:x=\"urn:x\">\xC3\xA9 &amp; 1</x:v>", "fr");
  const DeadProp b = prop("b", "");
  ASSERT_TRUE(run(space().patch_dead_props("f", {set(a), set(b)})).ok());
  EXPECT_EQ(run(space().dead_props("f")).value(), (std::vector<DeadProp>{a, b}));
  // In order: set then remove leaves nothing, remove of a missing name is fine.
  const DeadProp a2 = prop("a", "two");
  auto patched = run(space().patch_dead_props(
      "f", {set(a2), unset("b"), set(prop("c", "3")), unset("c"), unset("never")}));
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ(run(space().dead_props("f")).value(), (std::vector<DeadProp>{a2}));
}

TEST_P(BackendConformanceTest, DeadPropsOnDirectoriesTheRootAndMissingPaths) {
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_TRUE(run(space().patch_dead_props("d", {set(prop("a", "1"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("", {set(prop("r", "root"))})).ok());
  EXPECT_EQ(run(space().dead_props("d")).value(), (std::vector<DeadProp>{prop("a", "1")}));
  EXPECT_EQ(run(space().dead_props("")).value(), (std::vector<DeadProp>{prop("r", "root")}));
  expect_code(run(space().dead_props("missing")), Errc::kNotFound, "props of a missing path");
  expect_code(run(space().patch_dead_props("missing", {set(prop("a", "1"))})), Errc::kNotFound,
              "patch of a missing path");
  expect_code(run(space().dead_props(".sfs-tmp-x")), Errc::kBadPath, "props of a reserved name");
}

TEST_P(BackendConformanceTest, DeadPropsFollowAMoveWithADirectorysMembers) {
  ASSERT_TRUE(mkdir("d/sub", true).ok());
  ASSERT_TRUE(put("d/sub/f", "x").ok());
  ASSERT_TRUE(put("g", "y").ok());
  ASSERT_TRUE(run(space().patch_dead_props("d", {set(prop("dir", "1"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("d/sub/f", {set(prop("file", "2"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("g", {set(prop("old", "3"))})).ok());
  ASSERT_TRUE(move("d", "e").ok());
  EXPECT_EQ(run(space().dead_props("e")).value(), (std::vector<DeadProp>{prop("dir", "1")}));
  EXPECT_EQ(run(space().dead_props("e/sub/f")).value(), (std::vector<DeadProp>{prop("file", "2")}));
  // Over a file: the moved file's properties replace the target's.
  ASSERT_TRUE(move("e/sub/f", "g").ok());
  EXPECT_EQ(run(space().dead_props("g")).value(), (std::vector<DeadProp>{prop("file", "2")}));
}

TEST_P(BackendConformanceTest, DeadPropsGoWithTheResourceAndSurviveAnOverwrite) {
  ASSERT_TRUE(put("f", "x").ok());
  ASSERT_TRUE(mkdir("d").ok());
  ASSERT_TRUE(run(space().patch_dead_props("f", {set(prop("a", "1"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("d", {set(prop("b", "2"))})).ok());
  ASSERT_TRUE(put("f", "new content").ok());  // overwriting keeps them (as Apache)
  EXPECT_EQ(run(space().dead_props("f")).value(), (std::vector<DeadProp>{prop("a", "1")}));
  ASSERT_TRUE(run(space().remove("f")).ok());
  ASSERT_TRUE(run(space().remove_dir("d")).ok());
  ASSERT_TRUE(put("f", "again").ok());
  ASSERT_TRUE(mkdir("d").ok());
  EXPECT_TRUE(run(space().dead_props("f")).value().empty());
  EXPECT_TRUE(run(space().dead_props("d")).value().empty());
}

TEST_P(BackendConformanceTest, AListingWithPropsIsTheListingWithEachMembersProps) {
  ASSERT_TRUE(mkdir("top/d", true).ok());
  ASSERT_TRUE(put("top/a", "xy").ok());
  ASSERT_TRUE(put("top/b", "z").ok());
  ASSERT_TRUE(put("top/d/inner", "not listed").ok());
  ASSERT_TRUE(
      run(space().patch_dead_props("top/a", {set(prop("a", "1")), set(prop("b", "2"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("top/d", {set(prop("dir", "3"))})).ok());
  ASSERT_TRUE(run(space().patch_dead_props("top/d/inner", {set(prop("no", "4"))})).ok());
  const auto listed = run(space().list("top")).value();
  const auto with = run(space().list_with_props("top"));
  ASSERT_TRUE(with.ok()) << with.error().message;
  ASSERT_EQ(with->size(), listed.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ((*with)[i].entry.name, listed[i].name);
    EXPECT_EQ((*with)[i].entry.is_dir, listed[i].is_dir);
    EXPECT_EQ((*with)[i].entry.size, listed[i].size);
    EXPECT_EQ((*with)[i].entry.digest, listed[i].digest);
  }
  EXPECT_EQ((*with)[0].dead, (std::vector<DeadProp>{prop("a", "1"), prop("b", "2")}));
  EXPECT_TRUE((*with)[1].dead.empty());
  EXPECT_EQ((*with)[2].dead, (std::vector<DeadProp>{prop("dir", "3")}));
  // The top of the space, and what is not a folder.
  ASSERT_TRUE(run(space().list_with_props("")).ok());
  expect_code(run(space().list_with_props("top/a")), Errc::kNotDir, "props listing of a file");
  expect_code(run(space().list_with_props("missing")), Errc::kNotFound,
              "props listing of a missing folder");
}

TEST_P(BackendConformanceTest, DeadPropsPastTheLimitsAreRefusedAllOrNothing) {
  ASSERT_TRUE(put("f", "x").ok());
  std::vector<PropChange> many;
  for (std::size_t i = 0; i < kMaxDeadProps; ++i) {
    many.push_back(set(prop("p" + std::to_string(i), "v")));
  }
  ASSERT_TRUE(run(space().patch_dead_props("f", many)).ok());
  // One more, after a change that alone would be fine: neither is applied.
  expect_code(
      run(space().patch_dead_props("f", {unset("p0"), set(prop("x", "1")), set(prop("y", "2"))})),
      Errc::kTooLarge, "one property too many");
  EXPECT_EQ(run(space().dead_props("f")).value().size(), kMaxDeadProps);
  ASSERT_TRUE(put("g", "x").ok());
  expect_code(
      run(space().patch_dead_props(
          "g", {set(prop("small", "1")), set(prop("big", std::string(kMaxDeadPropBytes, 'v')))})),
      Errc::kTooLarge, "a value past the byte limit");
  EXPECT_TRUE(run(space().dead_props("g")).value().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformanceTest, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<BackendParam>& info) {
                           return info.param.name;
                         });

// ---- what only the POSIX backend promises ------------------------------------------

TEST(PosixBackendTest, BlockingCallsRunOnTheDiskPool) {
  PosixUnderTest posix;
  auto space = run(posix.backend().open_space("alice"));
  ASSERT_TRUE(space.ok());
  std::thread::id ran_on;
  auto admit = [&](std::uint64_t) -> Result<void> {
    ran_on = std::this_thread::get_id();
    return {};
  };
  ASSERT_TRUE(run((*space)->make_dir("d", false, admit)).ok());
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

// The server gives three pools: metadata work must not run on the data
// pool (where it would queue behind transfers) nor on the slow one.
TEST(PosixBackendTest, EachKindOfWorkRunsOnItsOwnPool) {
  test::TempDir dir("sfs-pools");
  asio::thread_pool metadata(1);
  asio::thread_pool data(1);
  asio::thread_pool slow(1);
  auto thread_of = [](asio::thread_pool& pool) {
    std::thread::id id;
    asio::post(pool, [&id] { id = std::this_thread::get_id(); });
    std::promise<void> done;  // one thread: the first job ran before this one
    asio::post(pool, [&done] { done.set_value(); });
    done.get_future().wait();
    return id;
  };
  const std::thread::id metadata_thread = thread_of(metadata);
  {
    auto store = Store::open(dir.path() / "root");
    ASSERT_TRUE(store.ok());
    PosixBackend backend(std::move(*store), {metadata, data, slow});
    auto space = run(backend.open_space("alice"));
    ASSERT_TRUE(space.ok());
    std::thread::id ran_on;
    auto admit = [&](std::uint64_t) -> Result<void> {
      ran_on = std::this_thread::get_id();
      return {};
    };
    ASSERT_TRUE(run((*space)->make_dir("d", false, admit)).ok());
    EXPECT_EQ(ran_on, metadata_thread);
    EXPECT_NE(ran_on, thread_of(data));
    EXPECT_NE(ran_on, thread_of(slow));
  }
  metadata.join();
  data.join();
  slow.join();
}

// A store in memory runs file data's reads and writes, opens, creates,
// commits and stats inline: they finish while every pool thread is busy.
// Anything else still waits for the pool: a listing, a commit that would
// free a big file's pages, and every call on a store left on the pools.
class PosixInlineWorkTest : public ::testing::Test {
 protected:
  PosixInlineWorkTest() : dir_("sfs-small-work") {}
  ~PosixInlineWorkTest() override {
    release_pool();
    pool_.join();
  }

  PosixBackend& backend(InlineWork work) {
    auto store = Store::open(dir_.path() / "root");
    SFS_CHECK(store.ok());
    backend_ =
        std::make_unique<PosixBackend>(std::move(*store), PosixPools{pool_, pool_, pool_}, work);
    return *backend_;
  }

  // Occupies the pool's one thread until release_pool().
  void block_pool() {
    std::promise<void> started;
    asio::post(pool_, [&started, gate = gate_.get_future().share()] {
      started.set_value();
      gate.wait();
    });
    started.get_future().wait();
  }
  void release_pool() {
    if (!released_) {
      released_ = true;
      gate_.set_value();
    }
  }

  // Runs `task` on io_ until it finishes or io_ has waited `look` for it;
  // true when it finished.
  bool finishes(awaitable<void> task, std::chrono::milliseconds look) {
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          co_await std::move(task);
          done = true;
        },
        asio::detached);
    io_.restart();
    io_.run_for(look);
    return done;
  }
  // After release_pool(): lets whatever waited for the pool end.
  void drain() {
    io_.restart();
    io_.run();
  }

  static awaitable<void> upload(Space& space, std::string path, std::string content,
                                Result<Usage>* committed) {
    auto up = co_await space.create(std::move(path), std::nullopt);
    if (!up) {
      *committed = up.error();
      co_return;
    }
    auto wrote = co_await (*up)->write(content.data(), content.size());
    if (!wrote) {
      *committed = wrote.error();
      co_return;
    }
    *committed = co_await (*up)->commit();
  }

  test::TempDir dir_;
  asio::thread_pool pool_{1};
  std::promise<void> gate_;
  bool released_ = false;
  std::unique_ptr<PosixBackend> backend_;
  asio::io_context io_;
};

// Generous: how long a call that does not need the pool may take on a busy
// machine before the test calls it stuck (not a measure of speed).
constexpr auto kNeedsNoPool = std::chrono::seconds(20);
// How long to watch a call that must wait for the blocked pool.
constexpr auto kWatchWaiting = std::chrono::milliseconds(50);

TEST_F(PosixInlineWorkTest, InlineSmallFilesNeedNoPoolThread) {
  auto space = run(backend(InlineWork::kInline).open_space("alice"));
  ASSERT_TRUE(space.ok());
  block_pool();
  Result<Usage> committed = Usage{};
  ASSERT_TRUE(finishes(upload(**space, "a.txt", "four", &committed), kNeedsNoPool));
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  std::string read;
  auto get = [&]() -> awaitable<void> {
    auto file = co_await (*space)->open_read("a.txt");
    if (file) {
      read.resize((*file)->size());
      (void)co_await (*file)->read_at(read.data(), read.size(), 0);
    }
  };
  ASSERT_TRUE(finishes(get(), kNeedsNoPool));
  EXPECT_EQ(read, "four");
  std::uint64_t size = 0;
  auto stat = [&]() -> awaitable<void> {
    auto entry = co_await (*space)->stat("a.txt");
    size = entry ? entry->size : 0;
  };
  ASSERT_TRUE(finishes(stat(), kNeedsNoPool));
  EXPECT_EQ(size, 4U);
  // A listing is no small file's work: it waits for the pool.
  auto list = [&]() -> awaitable<void> { (void)co_await (*space)->list(""); };
  EXPECT_FALSE(finishes(list(), kWatchWaiting));
  release_pool();
  drain();
}

TEST_F(PosixInlineWorkTest, InlineBigFilesReadAndWriteWithoutThePool) {
  auto space = run(backend(InlineWork::kInline).open_space("alice"));
  ASSERT_TRUE(space.ok());
  std::string big(std::size_t{3} << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 7 % 251);
  }
  Result<Usage> committed = Usage{};
  ASSERT_TRUE(finishes(upload(**space, "big", big, &committed), kNeedsNoPool));
  ASSERT_TRUE(committed.ok());
  block_pool();
  std::string read(big.size(), '\0');
  crypto::Digest digest;
  auto get = [&]() -> awaitable<void> {
    auto file = co_await (*space)->open_read("big");
    const std::size_t half = big.size() / 2;
    if (file) {
      (void)co_await (*file)->read_at(read.data(), half, 0);
      (void)co_await (*file)->read_hashed_at(read.data() + half, big.size() - half, half, digest);
    }
  };
  ASSERT_TRUE(finishes(get(), kNeedsNoPool));
  EXPECT_EQ(read, big);
  crypto::Digest second_half;
  second_half.update(big.data() + big.size() / 2, big.size() - big.size() / 2);
  EXPECT_EQ(digest.hex_digest(), second_half.hex_digest());
  // Written in two pieces, then committed: a new file replaces none.
  committed = make_error(Errc::kInternal, "not done");
  auto put = [&]() -> awaitable<void> {
    auto up = co_await (*space)->create("second", std::nullopt);
    if (!up) {
      committed = up.error();
      co_return;
    }
    (void)co_await (*up)->write(big.data(), big.size() / 2);
    (void)co_await (*up)->write(big.data() + big.size() / 2, big.size() - big.size() / 2);
    committed = co_await (*up)->commit();
  };
  ASSERT_TRUE(finishes(put(), kNeedsNoPool));
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  release_pool();
  auto second = run((*space)->open_read("second"));
  ASSERT_TRUE(second.ok());
  std::string again(big.size(), '\0');
  ASSERT_TRUE(run((*second)->read_at(again.data(), again.size(), 0)).ok());
  EXPECT_EQ(again, big);
}

TEST_F(PosixInlineWorkTest, ReplacingABigFileCommitsOnThePool) {
  auto space = run(backend(InlineWork::kInline).open_space("alice"));
  ASSERT_TRUE(space.ok());
  Result<Usage> committed = Usage{};
  const std::string big((std::size_t{1} << 20) + 1, 'b');
  ASSERT_TRUE(finishes(upload(**space, "big", big, &committed), kNeedsNoPool));
  ASSERT_TRUE(committed.ok());
  block_pool();
  EXPECT_FALSE(finishes(upload(**space, "big", "small now", &committed), kWatchWaiting));
  release_pool();
  drain();
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(committed->bytes, big.size());  // what it replaced
  auto file = run((*space)->open_read("big"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->size(), std::string("small now").size());
}

TEST_F(PosixInlineWorkTest, OnPoolsEverySmallFileWaitsForThePool) {
  auto space = run(backend(InlineWork::kOnPools).open_space("alice"));
  ASSERT_TRUE(space.ok());
  block_pool();
  Result<Usage> committed = make_error(Errc::kInternal, "not done");
  EXPECT_FALSE(finishes(upload(**space, "a.txt", "four", &committed), kWatchWaiting));
  release_pool();
  drain();
  EXPECT_TRUE(committed.ok());
}

TEST(PosixStoreTest, KnowsWhetherItLivesInMemory) {
  test::TempDir dir("sfs-in-memory");
  auto on_disk = Store::open(dir.path() / "root");
  ASSERT_TRUE(on_disk.ok());
  struct statfs fs {};
  ASSERT_EQ(::statfs(dir.path().c_str(), &fs), 0);
  EXPECT_EQ(on_disk->in_memory(), fs.f_type == TMPFS_MAGIC);
  if (::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
    const auto root =
        std::filesystem::path("/dev/shm") / ("sfs-in-memory-" + std::to_string(::getpid()));
    {
      auto in_memory = Store::open(root);
      ASSERT_TRUE(in_memory.ok());
      EXPECT_TRUE(in_memory->in_memory());
    }
    std::filesystem::remove_all(root);
  }
}

// ---- what only the S3 backend does -------------------------------------------------

class S3BackendLive : public ::testing::Test {
 protected:
  static constexpr std::size_t kPart = s3::S3BackendSettings::kMinPartSize;

  void SetUp() override {
    if (env("SFS_TEST_S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "no S3 endpoint (tests/integration/test_s3_backend.py sets one)";
    }
    settings_ = S3UnderTest::settings();
    settings_.max_move_objects = 20;
    under_test_ = std::make_unique<S3UnderTest>(settings_);
    auto opened = run(under_test_->backend().open_space("alice"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    space_ = std::move(*opened);
    auto client = s3::S3Client::create(settings_.s3, pool_);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
  }
  void TearDown() override {
    space_.reset();
    under_test_.reset();
    client_.reset();
    pool_.join();
  }

  std::string key(const std::string& path) const { return settings_.prefix + "/u/alice/" + path; }

  Result<std::string> get(const std::string& path) {
    SFS_ASSIGN_OR_RETURN(auto file, run(space_->open_read(path)));
    std::string data(file->size(), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      SFS_ASSIGN_OR_RETURN(std::size_t n, run(file->read_at(data.data() + done, kPart, done)));
      if (n == 0) {
        break;
      }
      done += n;
    }
    data.resize(done);
    return data;
  }

  // The key of `path`'s partial sidecar for an upload of `size` bytes.
  std::string sidecar(const std::string& path, std::size_t size) const {
    return s3::partial_key(settings_.prefix + "/u/alice/", path, size);
  }
  // The sidecar at `key`, as read from the store.
  Result<s3::Partial> read_sidecar(const std::string& key) {
    std::string body(s3::kMaxPartialHeader + kPart, '\0');
    SFS_ASSIGN_OR_RETURN(std::size_t n, run(client_->get_object(key, body.data(), body.size(), 0)));
    body.resize(n);
    return s3::decode_partial(body);
  }
  // Sends the first `n` bytes of `data` to `path` and cuts there (kept).
  void cut(const std::string& path, const std::string& data, std::size_t n) {
    auto up = run(space_->create(path, data.size()));
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(run((*up)->continue_at(0)).ok());
    ASSERT_TRUE(run((*up)->write(data.data(), n)).ok());
    ASSERT_EQ(run((*up)->keep_for_resume()), n);
  }
  // Replaces the sidecar of `path` with `partial` (a damaged or forged one).
  void forge(const std::string& path, std::size_t size, const s3::Partial& partial,
             std::size_t held) {
    const std::string body = s3::encode_partial(partial);
    const s3::Metadata meta{{s3::kHeldMeta, std::to_string(held)}};
    ASSERT_TRUE(run(client_->put_object(sidecar(path, size), body.data(), body.size(), meta)).ok());
  }

  // Continues "k" in `space` from `held` and checks the bytes stored.
  void finish(Space& space, const std::string& data, std::uint64_t held) {
    auto again = run(space.create("k", data.size()));
    ASSERT_TRUE(again.ok()) << again.error().message;
    ASSERT_EQ((*again)->held(), held);
    finish_upload(**again, data, held);
  }
  // Sends `data` from `held` on through `up`, commits, checks the bytes stored.
  void finish_upload(WriteHandle& up, const std::string& data, std::uint64_t held) {
    ASSERT_TRUE(run(up.continue_at(held)).ok());
    ASSERT_TRUE(run(up.write(data.data() + held, data.size() - held)).ok());
    ASSERT_TRUE(run(up.set_digest(crypto::digest_of(data))).ok());
    auto committed = run(up.commit());
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(get("k").value(), data);
  }

  static std::string pattern(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    }
    return out;
  }

  s3::S3BackendSettings settings_;
  asio::thread_pool pool_{2};
  std::unique_ptr<S3UnderTest> under_test_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<s3::S3Client> client_;
};

// Above one part the upload is a multipart upload: its parts are on the
// store, yet nothing under the name until CompleteMultipartUpload.
TEST_F(S3BackendLive, AMultipartUploadIsInvisibleUntilCommit) {
  const std::string data = pattern(kPart + kPart / 2);
  auto up = run(space_->create("big", std::nullopt));
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
  EXPECT_TRUE(run(space_->list("")).value().empty());
  EXPECT_EQ(run(space_->stat("big")).error().code, Errc::kNotFound);
  EXPECT_EQ(run(client_->head_object(key("big"))).error().code, Errc::kNotFound);
  ASSERT_TRUE(run((*up)->set_digest(crypto::digest_of(data))).ok());
  auto replaced = run((*up)->commit());
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  auto info = run(client_->head_object(key("big")));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(run(space_->stat("big")).value().digest, crypto::digest_of(data));
  EXPECT_EQ(get("big").value(), data);
}

// A kept partial names its multipart upload; the next upload of the same
// name and size continues it (ListParts finds the whole part) and its
// commit completes that same upload.
TEST_F(S3BackendLive, AResumedUploadContinuesTheSameMultipartUpload) {
  const std::string data = pattern(2 * kPart + 100);
  const std::size_t first = kPart + 10;  // one whole part and a tail
  {
    auto up = run(space_->create("r", data.size()));
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(run((*up)->continue_at(0)).ok());
    ASSERT_TRUE(run((*up)->write(data.data(), first)).ok());
    EXPECT_EQ(run((*up)->keep_for_resume()), first);
  }
  const std::string sidecar = s3::partial_key(settings_.prefix + "/u/alice/", "r", data.size());
  std::string body(s3::kMaxPartialHeader + kPart, '\0');
  auto got = run(client_->get_object(sidecar, body.data(), body.size(), 0));
  ASSERT_TRUE(got.ok()) << got.error().message;
  body.resize(*got);
  auto partial = s3::decode_partial(body);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->parts, 1);
  EXPECT_EQ(partial->tail, data.substr(kPart, 10));
  EXPECT_EQ(run(space_->usage()).value(), (Usage{first, 1}));

  auto up = run(space_->create("r", data.size()));
  ASSERT_TRUE(up.ok());
  ASSERT_EQ((*up)->held(), first);
  auto parts = run(client_->list_parts(key("r"), partial->upload_id, 0));
  ASSERT_TRUE(parts.ok()) << parts.error().message;  // the same upload, still open
  ASSERT_EQ(parts->parts.size(), 1U);
  ASSERT_TRUE(run((*up)->continue_at(first)).ok());
  ASSERT_TRUE(run((*up)->write(data.data() + first, data.size() - first)).ok());
  ASSERT_TRUE(run((*up)->commit()).ok());
  EXPECT_EQ(run(client_->list_parts(key("r"), partial->upload_id, 0)).error().code,
            Errc::kNotFound);  // completed
  EXPECT_TRUE(run(client_->head_object(key("r"))).value().etag.find("-3") !=
              std::string::npos);  // three parts: the first one was not sent again
  EXPECT_EQ(get("r").value(), data);
  EXPECT_EQ(run(client_->head_object(sidecar)).error().code, Errc::kNotFound);
}

// Cut after two whole parts (and a bit of the third): the sidecar keeps the
// digest state of the two parts, which S3 cannot give back; the resumed
// upload continues the same multipart upload from part 3 and its digest,
// continued from that state, is the digest of the whole file.
TEST_F(S3BackendLive, AnUploadCutPastTwoPartsResumesWithTheDigestOfItsParts) {
  const std::string data = pattern(3 * kPart + 1000);
  const std::size_t first = 2 * kPart + 123;
  cut("r3", data, first);
  auto partial = read_sidecar(sidecar("r3", data.size()));
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_EQ(partial->version, 2);
  EXPECT_EQ(partial->parts, 2);
  EXPECT_EQ(partial->part_size, kPart);
  EXPECT_EQ(partial->tail, data.substr(2 * kPart, 123));
  crypto::Digest kept;
  ASSERT_EQ(kept.restore(partial->digest_state).value(), 2 * kPart);
  EXPECT_EQ(kept.hex_digest(), crypto::digest_of(std::string_view(data).substr(0, 2 * kPart)));

  auto up = run(space_->create("r3", data.size()));
  ASSERT_TRUE(up.ok());
  ASSERT_EQ((*up)->held(), first);
  crypto::Digest digest;
  ASSERT_EQ((*up)->held_digest(digest), 2 * kPart);
  EXPECT_EQ(digest.hex_digest(), kept.hex_digest());
  // The parts cannot be read back, the tail can: held_digest and read_at
  // together give the digest of everything held.
  std::string tail(first - 2 * kPart, '\0');
  ASSERT_EQ(run((*up)->read_at(tail.data(), tail.size(), 2 * kPart)).value(), tail.size());
  EXPECT_EQ(tail, data.substr(2 * kPart, tail.size()));
  auto parts = run(client_->list_parts(key("r3"), partial->upload_id, 0));
  ASSERT_TRUE(parts.ok()) << parts.error().message;  // the same upload, still open
  ASSERT_EQ(parts->parts.size(), 2U);

  digest.update(tail.data(), tail.size());
  ASSERT_TRUE(run((*up)->continue_at(first)).ok());
  ASSERT_TRUE(run((*up)->write(data.data() + first, data.size() - first)).ok());
  digest.update(data.data() + first, data.size() - first);
  EXPECT_EQ(digest.hex_digest(), crypto::digest_of(data));
  ASSERT_TRUE(run((*up)->set_digest(digest.hex_digest())).ok());
  ASSERT_TRUE(run((*up)->commit()).ok());
  EXPECT_EQ(run(client_->list_parts(key("r3"), partial->upload_id, 0)).error().code,
            Errc::kNotFound);  // completed
  EXPECT_TRUE(run(client_->head_object(key("r3"))).value().etag.find("-4") !=
              std::string::npos);  // four parts: the first two were not sent again
  EXPECT_EQ(get("r3").value(), data);
  EXPECT_EQ(run(space_->stat("r3")).value().digest, crypto::digest_of(data));
  EXPECT_EQ(run(client_->head_object(sidecar("r3", data.size()))).error().code, Errc::kNotFound);
}

// A sidecar that does not hold what the store holds (a changed digest
// state, parts missing, another part size, an older format) is not
// followed: the upload starts over from 0, and the multipart upload it
// named is aborted.
TEST_F(S3BackendLive, ASidecarThatDoesNotMatchTheStoreStartsOver) {
  const std::string data = pattern(2 * kPart + 1000);
  const std::size_t first = 2 * kPart + 10;
  struct Forgery {
    const char* what;
    std::function<void(s3::Partial&)> change;
  };
  const std::vector<Forgery> forgeries = {
      {"a changed state byte", [](s3::Partial& p) { p.digest_state[40] ^= 0x10; }},
      {"a state of other bytes",
       [&](s3::Partial& p) {
         crypto::Digest other;
         const std::string bytes = pattern(2 * kPart + 1);
         other.update(bytes.data() + 1, 2 * kPart);
         p.digest_state = other.save();
         ASSERT_NE(other.hex_digest(), crypto::digest_of(data.substr(0, 2 * kPart)));
       }},
      {"a part missing",
       [&](s3::Partial& p) {
         crypto::Digest three;
         const std::string bytes = pattern(3 * kPart);
         three.update(bytes.data(), bytes.size());
         p.parts = 3;
         p.digest_state = three.save();
       }},
      {"another part size", [](s3::Partial& p) { p.part_size = 2 * kPart; }},
      {"a state of the wrong length", [](s3::Partial& p) { p.parts = 1; }},
  };
  for (const Forgery& forgery : forgeries) {
    SCOPED_TRACE(forgery.what);
    const std::string path = "f";
    cut(path, data, first);
    auto partial = read_sidecar(sidecar(path, data.size()));
    ASSERT_TRUE(partial.ok());
    s3::Partial forged = *partial;
    forgery.change(forged);
    forge(path, data.size(), forged, first);

    auto up = run(space_->create(path, data.size()));
    ASSERT_TRUE(up.ok());
    crypto::Digest digest;
    if (std::string(forgery.what) == "a state of other bytes") {
      // Well-formed and of the right length: nothing on the store can tell
      // it from the real one. It is offered, and the client's digest of its
      // own bytes will not match it, so the client starts over; a resume
      // that went on anyway is refused at the end by the digest check.
      EXPECT_EQ((*up)->held(), first);
      ASSERT_EQ((*up)->held_digest(digest), 2 * kPart);
      EXPECT_NE(digest.hex_digest(), crypto::digest_of(data.substr(0, 2 * kPart)));
    } else {
      EXPECT_EQ((*up)->held(), 0U);
      EXPECT_EQ((*up)->held_digest(digest), 0U);
      EXPECT_EQ(run(client_->list_parts(key(path), partial->upload_id, 0)).error().code,
                Errc::kNotFound);  // aborted
    }
    ASSERT_TRUE(run((*up)->continue_at(0)).ok());
    ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
    ASSERT_TRUE(run((*up)->set_digest(crypto::digest_of(data))).ok());
    ASSERT_TRUE(run((*up)->commit()).ok());
    EXPECT_EQ(get(path).value(), data);
    EXPECT_EQ(run(space_->stat(path)).value().digest, crypto::digest_of(data));
    ASSERT_TRUE(run(space_->remove(path)).ok());
  }
}

// A sidecar of an older build (version 1: no digest state) past a part is
// not continued either; its multipart upload is aborted.
TEST_F(S3BackendLive, AnOlderSidecarPastAPartStartsOver) {
  const std::string data = pattern(kPart + 1000);
  cut("old", data, kPart + 5);
  auto partial = read_sidecar(sidecar("old", data.size()));
  ASSERT_TRUE(partial.ok());
  const std::string body =
      "sfs-partial 1\n1\n" + partial->upload_id + "\n" + partial->key + "\n" + partial->tail;
  const s3::Metadata meta{{s3::kHeldMeta, std::to_string(kPart + 5)}};
  ASSERT_TRUE(
      run(client_->put_object(sidecar("old", data.size()), body.data(), body.size(), meta)).ok());
  auto up = run(space_->create("old", data.size()));
  ASSERT_TRUE(up.ok());
  EXPECT_EQ((*up)->held(), 0U);
  EXPECT_EQ(run(client_->list_parts(key("old"), partial->upload_id, 0)).error().code,
            Errc::kNotFound);
  run((*up)->discard());
}

// A listing asks HEAD (for the digest and kept time) only of the files it
// does not know settled: listed again, a folder costs its ListObjectsV2
// page alone, and a file written since is asked of again, its new digest
// shown.
TEST_F(S3BackendLive, AListingAsksHeadOnlyOfFilesWrittenSinceItLastAsked) {
  auto put = [&](const std::string& path, const std::string& data) {
    auto up = run(space_->create(path, std::nullopt));
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
    ASSERT_TRUE(run((*up)->set_digest(crypto::digest_of(data))).ok());
    ASSERT_TRUE(run((*up)->commit()).ok());
  };
  auto digests = [&] {
    std::map<std::string, std::string> out;
    auto listed = run(space_->list(""));
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    for (const DirEntry& e : listed.value()) {
      out[e.name] = e.digest;
    }
    return out;
  };
  put("a", "first");
  put("b", "second");
  put("c", "third");
  // Settled: the store's clock is past the writes' second by kSettledSeconds.
  std::this_thread::sleep_for(std::chrono::seconds(s3::InfoCache::kSettledSeconds + 1));
  const auto first = digests();
  ASSERT_EQ(first.size(), 3U);
  EXPECT_EQ(first.at("b"), crypto::digest_of("second"));
  std::uint64_t before = under_test_->s3().requests_sent();
  EXPECT_EQ(digests(), first);
  EXPECT_EQ(under_test_->s3().requests_sent() - before, 1U);  // the page alone

  put("b", "SECOND");  // as long: only the ETag (and perhaps LastModified) tells
  before = under_test_->s3().requests_sent();
  const auto after = digests();
  EXPECT_EQ(under_test_->s3().requests_sent() - before, 2U);  // the page and b's HEAD
  EXPECT_EQ(after.at("b"), crypto::digest_of("SECOND"));
  EXPECT_EQ(after.at("a"), first.at("a"));
}

// A folder move cut where it could not undo itself (the server killed, the
// store gone) leaves its journal in the folder it was making: the same move
// again continues there (it does not put the source inside the half copy),
// and ends with the journal gone. A folder whose journal names another
// source is a folder like any: a move goes into it.
TEST_F(S3BackendLive, AFolderMoveCutMidwayContinuesWhenGivenAgain) {
  auto put = [&](const std::string& path, const std::string& data) {
    auto up = run(space_->create(path, std::nullopt));
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
    ASSERT_TRUE(run((*up)->commit()).ok());
  };
  ASSERT_TRUE(run(space_->make_dir("d/sub", true, {})).ok());
  put("d/a", "alpha");
  put("d/b", "beta");
  put("d/sub/c", "gamma");
  // What a move of d to e leaves when cut after its first two copies.
  const std::string journal = key("e/") + std::string(s3::kMoveLeaf);
  ASSERT_TRUE(run(client_->put_object(journal, "d", 1, {})).ok());
  ASSERT_TRUE(run(client_->copy_object(key("d/"), key("e/"), std::nullopt)).ok());
  ASSERT_TRUE(run(client_->copy_object(key("d/a"), key("e/a"), std::nullopt)).ok());
  ASSERT_EQ(run(space_->stat("e")).value().is_dir, true);

  auto moved = run(space_->move("d", "e", 4096));
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->path, "e");
  auto listed = run(space_->list("e"));
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  std::vector<std::string> names;
  for (const DirEntry& e : *listed) {
    names.push_back(e.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(get("e/b").value(), "beta");
  EXPECT_EQ(get("e/sub/c").value(), "gamma");
  EXPECT_EQ(run(space_->stat("d")).error().code, Errc::kNotFound);
  EXPECT_EQ(run(client_->head_object(journal)).error().code, Errc::kNotFound);

  ASSERT_TRUE(run(space_->make_dir("f", false, {})).ok());
  const std::string other = key("f/") + std::string(s3::kMoveLeaf);
  ASSERT_TRUE(run(client_->put_object(other, "elsewhere", 9, {})).ok());
  auto into = run(space_->move("e", "f", 4096));
  ASSERT_TRUE(into.ok()) << into.error().message;
  EXPECT_EQ(into->path, "f/e");
  EXPECT_EQ(get("f/e/sub/c").value(), "gamma");
}

// A folder above max_move_objects is refused before anything is copied.
TEST_F(S3BackendLive, AFolderMoveAboveTheLimitIsRefusedWithNothingChanged) {
  ASSERT_TRUE(run(space_->make_dir("d", false, {})).ok());
  const std::size_t files = settings_.max_move_objects;  // with the marker: one too many
  for (std::size_t i = 0; i < files; ++i) {
    auto up = run(space_->create("d/f" + std::to_string(i), std::nullopt));
    ASSERT_TRUE(up.ok());
    const std::string content = std::to_string(i);
    ASSERT_TRUE(run((*up)->write(content.data(), content.size())).ok());
    ASSERT_TRUE(run((*up)->commit()).ok());
  }
  auto moved = run(space_->move("d", "e", 4096));
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, Errc::kTooLarge) << moved.error().message;
  EXPECT_EQ(run(space_->list("")).value().size(), 1U);
  EXPECT_EQ(run(space_->list("d")).value().size(), files);
  EXPECT_EQ(run(space_->stat("e")).error().code, Errc::kNotFound);
  EXPECT_EQ(get("d/f7").value(), "7");
  ASSERT_TRUE(run(space_->remove("d/f0")).ok());  // at the limit it moves
  auto again = run(space_->move("d", "e", 4096));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(run(space_->list("e")).value().size(), files - 1);
  EXPECT_EQ(run(space_->stat("d")).error().code, Errc::kNotFound);
}

// S3 copies at most 5 GiB with one CopyObject; above the limit (lowered
// here to one part) a file is copied in parts: when an upload records its
// digest, when it moves, when its folder moves. The bytes and the digest
// arrive whole, and no multipart upload is left behind.
TEST_F(S3BackendLive, ObjectsAboveTheSingleCopyLimitAreCopiedInParts) {
  space_.reset();
  settings_.max_single_copy = kPart;
  under_test_ = std::make_unique<S3UnderTest>(settings_);
  auto opened = run(under_test_->backend().open_space("alice"));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  space_ = std::move(*opened);
  const std::string data = pattern(2 * kPart + 1000);
  const std::string digest = crypto::digest_of(data);
  auto up = run(space_->create("big", std::nullopt));
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
  ASSERT_TRUE(run((*up)->set_digest(digest)).ok());
  ASSERT_TRUE(run((*up)->commit()).ok());
  EXPECT_EQ(run(space_->stat("big")).value().digest, digest);  // copied onto itself
  ASSERT_TRUE(run(space_->make_dir("d", false, {})).ok());
  auto moved = run(space_->move("big", "d/big2", 4096));
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(get("d/big2").value(), data);
  EXPECT_EQ(run(space_->stat("d/big2")).value().digest, digest);
  EXPECT_EQ(run(space_->stat("big")).error().code, Errc::kNotFound);
  auto folder = run(space_->move("d", "e", 4096));
  ASSERT_TRUE(folder.ok()) << folder.error().message;
  EXPECT_EQ(get("e/big2").value(), data);
  EXPECT_EQ(run(space_->stat("e/big2")).value().digest, digest);
  auto uploads = run(client_->list_multipart_uploads(settings_.prefix + "/", "", ""));
  ASSERT_TRUE(uploads.ok()) << uploads.error().message;
  EXPECT_TRUE(uploads->uploads.empty());
}

// A server killed mid-upload never runs keep_for_resume: what it leaves is
// the sidecar the upload wrote as its parts went out (here after each part
// that landed; up to four are still on their way when the write returns),
// and a restarted server (a new backend on the same bucket) resumes from
// the last one.
TEST_F(S3BackendLive, AnUploadNamesItsPartsAsItGoesSoAKilledServerLeavesThemToResume) {
  space_.reset();
  settings_.sidecar_every = kPart;
  under_test_ = std::make_unique<S3UnderTest>(settings_);
  auto opened = run(under_test_->backend().open_space("alice"));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  space_ = std::move(*opened);
  const std::string data = pattern(6 * kPart + 100);
  auto up = run(space_->create("k", data.size()));
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(run((*up)->continue_at(0)).ok());
  ASSERT_TRUE(run((*up)->write(data.data(), 5 * kPart + 50)).ok());
  auto kept = read_sidecar(sidecar("k", data.size()));
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_GE(kept->parts, 1);  // the fifth part waited for the first
  EXPECT_LE(kept->parts, 5);
  EXPECT_TRUE(kept->tail.empty());
  const std::uint64_t named = std::uint64_t{static_cast<unsigned>(kept->parts)} * kPart;
  {
    S3UnderTest restarted(settings_);
    auto space = run(restarted.backend().open_space("alice"));
    ASSERT_TRUE(space.ok());
    finish(**space, data, named);
  }
  run((*up)->discard());  // the "killed" one: its upload is completed, its sidecar gone
  EXPECT_EQ(get("k").value(), data);
  EXPECT_EQ(run(client_->head_object(sidecar("k", data.size()))).error().code, Errc::kNotFound);
}

// A server killed mid-upload leaves a multipart upload that no sidecar
// names: the sweep aborts it once it began before the cutoff. The upload a
// kept partial names, and the one an upload of this process still holds,
// stay, and both finish with their bytes.
TEST_F(S3BackendLive, TheSweepAbortsOrphanUploadsButNotKeptOrRunningOnes) {
  const std::string data = pattern(kPart + 10);
  auto orphan = run(client_->create_multipart(key("orphan"), {}));
  ASSERT_TRUE(orphan.ok()) << orphan.error().message;
  ASSERT_TRUE(run(client_->upload_part(key("orphan"), *orphan, 1, data.data(), kPart)).ok());
  auto kept = run(space_->create("kept", data.size()));
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(run((*kept)->continue_at(0)).ok());
  ASSERT_TRUE(run((*kept)->write(data.data(), data.size())).ok());  // one part sent
  auto running = run(space_->create("running", std::nullopt));
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(run((*running)->write(data.data(), data.size())).ok());
  // The store's times are in whole seconds: the sidecar is written in a
  // later second than every upload began, and the cutoff is the second
  // before it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_EQ(run((*kept)->keep_for_resume()), data.size());
  const std::string sidecar = s3::partial_key(settings_.prefix + "/u/alice/", "kept", data.size());
  auto kept_at = run(client_->head_object(sidecar));
  ASSERT_TRUE(kept_at.ok()) << kept_at.error().message;
  auto before = run(client_->list_multipart_uploads(settings_.prefix + "/", "", ""));
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(before->uploads.size(), 3U);
  for (const s3::UploadEntry& upload : before->uploads) {
    ASSERT_LT(upload.initiated, kept_at->mtime) << upload.key;
  }

  EXPECT_EQ(run(under_test_->s3().remove_stale_before(kept_at->mtime - 1)), 1U);
  EXPECT_EQ(run(client_->list_parts(key("orphan"), *orphan, 0)).error().code, Errc::kNotFound);
  auto after = run(client_->list_multipart_uploads(settings_.prefix + "/", "", ""));
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_EQ(after->uploads.size(), 2U);
  EXPECT_EQ(after->uploads[0].key, key("kept"));
  EXPECT_EQ(after->uploads[1].key, key("running"));

  ASSERT_TRUE(run((*running)->commit()).ok());
  EXPECT_EQ(get("running").value(), data);
  auto resumed = run(space_->create("kept", data.size()));
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ((*resumed)->held(), data.size());
  ASSERT_TRUE(run((*resumed)->continue_at(data.size())).ok());
  ASSERT_TRUE(run((*resumed)->commit()).ok());
  EXPECT_EQ(get("kept").value(), data);
  EXPECT_TRUE(
      run(client_->list_multipart_uploads(settings_.prefix + "/", "", "")).value().uploads.empty());
}

// ---- the store away as an upload is cut ------------------------------------

// A backend that reaches the store through a relay the test can cut: its
// sidecar cannot be written then, while the parts already sent are safe.
class S3StoreAwayLive : public S3BackendLive {
 protected:
  void SetUp() override {
    S3BackendLive::SetUp();
    if (IsSkipped()) {
      return;
    }
    const std::string endpoint = settings_.s3.endpoint;
    const auto colon = endpoint.rfind(':');
    ASSERT_NE(colon, std::string::npos) << endpoint;
    relay_ = std::make_unique<test::TcpRelay>(
        static_cast<std::uint16_t>(std::stoi(endpoint.substr(colon + 1))));
    settings_.s3.endpoint = "http://127.0.0.1:" + std::to_string(relay_->port());
    space_.reset();
    under_test_ = std::make_unique<S3UnderTest>(settings_);
    auto opened = run(under_test_->backend().open_space("alice"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    space_ = std::move(*opened);
  }
  void TearDown() override {
    if (relay_) {
      relay_->mend();  // a failed check may have left it cut
    }
    S3BackendLive::TearDown();
    relay_.reset();
  }

  // Sends all but the last part of `data` to "k", the store goes away, and
  // the upload is cut: what it kept (whole parts, at least the first: the
  // fifth part waited for it).
  std::uint64_t cut_while_away(const std::string& data, const std::string& path = "k") {
    auto up = run(space_->create(path, data.size()));
    EXPECT_TRUE(up.ok()) << up.error().message;
    if (!up.ok()) {
      return 0;
    }
    EXPECT_TRUE(run((*up)->continue_at(0)).ok());
    EXPECT_TRUE(run((*up)->write(data.data(), 5 * kPart + 50)).ok());
    relay_->cut();
    const std::uint64_t kept = run((*up)->keep_for_resume());
    up->reset();
    EXPECT_GE(kept, kPart);
    EXPECT_EQ(kept % kPart, 0U);
    // Nothing in the store names them: the sidecar is in memory only.
    EXPECT_EQ(run(client_->head_object(sidecar(path, data.size()))).error().code, Errc::kNotFound);
    return kept;
  }
  // cut_while_away, then (the store back) a sidecar in the store that
  // names fewer parts, as one stored along the way before the cut would:
  // here, forged with none and a tail of 10 bytes.
  std::uint64_t cut_while_away_with_an_older_sidecar(const std::string& data) {
    const std::uint64_t kept = cut_while_away(data);
    relay_->mend();
    s3::Partial older;
    older.part_size = kPart;
    older.tail = data.substr(0, 10);
    forge("k", data.size(), older, 10);
    return kept;
  }

  std::unique_ptr<test::TcpRelay> relay_;
};

TEST_F(S3StoreAwayLive, TheUploadContinuesFromItsPartsOnceTheStoreIsBack) {
  const std::string data = pattern(6 * kPart + 100);
  const std::uint64_t kept = cut_while_away(data);
  // Still away: a new try fails with the reason, and the parts still wait.
  auto early = run(space_->create("k", data.size()));
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(early.error().message.starts_with("storage unavailable")) << early.error().message;
  relay_->mend();
  finish(*space_, data, kept);
  EXPECT_TRUE(
      run(client_->list_multipart_uploads(settings_.prefix + "/", "", "")).value().uploads.empty());
}

// The sweep stores the sidecar once the store takes it: another server
// (here: a restarted one, whose memory is empty) continues from it.
TEST_F(S3StoreAwayLive, TheSweepStoresItsSidecarForAnyServer) {
  const std::string data = pattern(6 * kPart + 100);
  const std::uint64_t kept = cut_while_away(data);
  relay_->mend();
  EXPECT_EQ(run(under_test_->s3().remove_stale_before(0)), 0U);
  auto stored = read_sidecar(sidecar("k", data.size()));
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(std::uint64_t{static_cast<unsigned>(stored->parts)} * kPart, kept);
  EXPECT_TRUE(stored->tail.empty());
  S3UnderTest restarted(settings_);
  auto space = run(restarted.backend().open_space("alice"));
  ASSERT_TRUE(space.ok());
  finish(**space, data, kept);
}

// A sidecar in the store naming fewer parts stands aside for the one in
// memory, at the resume and in the sweep, which writes it over the store's.
TEST_F(S3StoreAwayLive, TheResumeTakesTheSidecarNamingMoreParts) {
  const std::string data = pattern(6 * kPart + 100);
  const std::uint64_t kept = cut_while_away_with_an_older_sidecar(data);
  finish(*space_, data, kept);
}

TEST_F(S3StoreAwayLive, TheSweepWritesTheSidecarNamingMorePartsOverTheStores) {
  const std::string data = pattern(6 * kPart + 100);
  const std::uint64_t kept = cut_while_away_with_an_older_sidecar(data);
  EXPECT_EQ(run(under_test_->s3().remove_stale_before(0)), 0U);
  auto stored = read_sidecar(sidecar("k", data.size()));
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(std::uint64_t{static_cast<unsigned>(stored->parts)} * kPart, kept);
  S3UnderTest restarted(settings_);
  auto space = run(restarted.backend().open_space("alice"));
  ASSERT_TRUE(space.ok());
  finish(**space, data, kept);
}

// The folder went meanwhile: the sweep lets the parts go rather than
// write a sidecar into a folder that is no more.
TEST_F(S3StoreAwayLive, TheSweepDropsOneWhoseFolderIsGone) {
  ASSERT_TRUE(run(space_->make_dir("f", false, {})).ok());
  const std::string data = pattern(6 * kPart + 100);
  cut_while_away(data, "f/k");
  relay_->mend();
  ASSERT_TRUE(run(space_->remove_dir("f")).ok());
  EXPECT_EQ(run(under_test_->s3().remove_stale_before(0)), 1U);
  EXPECT_EQ(run(client_->head_object(sidecar("f/k", data.size()))).error().code, Errc::kNotFound);
  EXPECT_TRUE(
      run(client_->list_multipart_uploads(settings_.prefix + "/", "", "")).value().uploads.empty());
  EXPECT_TRUE(run(space_->list("")).value().empty());
}

// The store goes away as the upload commits (all its bytes written): the
// commit fails with the reason and keeps the whole parts for the resume.
TEST_F(S3StoreAwayLive, AnUploadWhoseCommitFindsTheStoreAwayResumes) {
  const std::string data = pattern(6 * kPart + 100);
  {
    auto up = run(space_->create("k", data.size()));
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(run((*up)->continue_at(0)).ok());
    ASSERT_TRUE(run((*up)->write(data.data(), data.size())).ok());
    ASSERT_TRUE(run((*up)->set_digest(crypto::digest_of(data))).ok());
    relay_->cut();
    auto committed = run((*up)->commit());
    ASSERT_FALSE(committed.ok());
    EXPECT_TRUE(is_storage_unavailable(committed.error())) << committed.error().message;
  }
  relay_->mend();
  EXPECT_EQ(run(space_->stat("k")).error().code, Errc::kNotFound);
  auto again = run(space_->create("k", data.size()));
  ASSERT_TRUE(again.ok()) << again.error().message;
  const std::uint64_t held = (*again)->held();
  EXPECT_GE(held, kPart);
  EXPECT_EQ(held % kPart, 0U);
  finish_upload(**again, data, held);
}

// Kept as long as the partial TTL, as any partial: then its parts go.
TEST_F(S3StoreAwayLive, ItExpiresWithThePartialTtl) {
  const std::string data = pattern(6 * kPart + 100);
  cut_while_away(data);
  relay_->mend();
  const std::int64_t later = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() +
                             10;
  EXPECT_GE(run(under_test_->s3().remove_stale_before(later)), 1U);
  EXPECT_TRUE(
      run(client_->list_multipart_uploads(settings_.prefix + "/", "", "")).value().uploads.empty());
  EXPECT_EQ(run(client_->head_object(sidecar("k", data.size()))).error().code, Errc::kNotFound);
  finish(*space_, data, 0);
}

}  // namespace
}  // namespace sfs::storage
