#include "files/user_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "files/quota_ledger.h"
#include "storage/memory/memory_backend.h"
#include "storage/posix/posix_backend.h"
#include "test_util.h"

namespace sfs::files {
namespace {

namespace fs = std::filesystem;
using Usage = storage::Usage;

// Runs `body` as a coroutine on a fresh io_context until it finishes.
template <typename Body>
void run_coroutine(Body body) {
  asio::io_context io;
  bool finished = false;
  asio::co_spawn(io, body, [&](const std::exception_ptr& e) {
    finished = true;
    if (e) {
      std::rethrow_exception(e);
    }
  });
  io.run();
  EXPECT_TRUE(finished);
}

// The memory backend as S3 holds a resumed upload: the first bytes held
// (up to kHidden) cannot be read back, and their digest state is kept
// instead (WriteHandle::held_digest). `forge` keeps the state of other
// bytes, as a damaged record could.
class NoReadBackWrite final : public storage::WriteHandle {
 public:
  static constexpr std::uint64_t kHidden = 4;

  NoReadBackWrite(std::unique_ptr<storage::WriteHandle> inner, std::string hidden_bytes, bool forge)
      : inner_(std::move(inner)), hidden_(hidden_bytes.size()) {
    if (forge && !hidden_bytes.empty()) {
      hidden_bytes[0] = static_cast<char>(hidden_bytes[0] ^ 0x20);
    }
    kept_.update(hidden_bytes.data(), hidden_bytes.size());
  }

  std::uint64_t held() const override { return inner_->held(); }
  bool resumable() const override { return inner_->resumable(); }
  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    if (offset < hidden_) {
      co_return make_error(Errc::kIo, "cannot be read back");
    }
    co_return co_await inner_->read_at(data, length, offset);
  }
  std::uint64_t held_digest(crypto::Digest& digest) const override {
    if (hidden_ == 0) {
      return 0;
    }
    digest.copy_from(kept_);
    return hidden_;
  }
  awaitable<Result<void>> continue_at(std::uint64_t offset) override {
    hidden_ = std::min(hidden_, offset);
    if (offset == 0) {
      kept_.reset();
    }
    co_return co_await inner_->continue_at(offset);
  }
  awaitable<Result<void>> write(const char* data, std::size_t length) override {
    co_return co_await inner_->write(data, length);
  }
  awaitable<Result<void>> set_digest(std::string hex) override {
    co_return co_await inner_->set_digest(std::move(hex));
  }
  void set_mtime(std::int64_t seconds) override { inner_->set_mtime(seconds); }
  awaitable<Result<Usage>> commit() override { co_return co_await inner_->commit(); }
  awaitable<void> discard() override { co_await inner_->discard(); }
  awaitable<std::uint64_t> keep_for_resume() override {
    co_return co_await inner_->keep_for_resume();
  }

 private:
  std::unique_ptr<storage::WriteHandle> inner_;
  std::uint64_t hidden_;
  crypto::Digest kept_;
};

class NoReadBackSpace final : public storage::Space {
 public:
  NoReadBackSpace(std::unique_ptr<storage::Space> inner, bool forge)
      : inner_(std::move(inner)), forge_(forge) {}

  awaitable<Result<std::unique_ptr<storage::WriteHandle>>> create(
      std::string path, std::optional<std::uint64_t> resumable_size) override {
    auto made = co_await inner_->create(std::move(path), resumable_size);
    if (!made) {
      co_return made.error();
    }
    // Reads what the handle can still read now, before it hides it.
    std::string hidden(std::min((*made)->held(), NoReadBackWrite::kHidden), '\0');
    if (!hidden.empty()) {
      auto n = co_await (*made)->read_at(hidden.data(), hidden.size(), 0);
      EXPECT_EQ(n.value(), hidden.size());
    }
    co_return std::unique_ptr<storage::WriteHandle>(
        std::make_unique<NoReadBackWrite>(std::move(*made), std::move(hidden), forge_));
  }
  awaitable<Result<std::unique_ptr<storage::ReadHandle>>> open_read(std::string path) override {
    co_return co_await inner_->open_read(std::move(path));
  }
  awaitable<Result<Usage>> remove(std::string path) override {
    co_return co_await inner_->remove(std::move(path));
  }
  awaitable<Result<std::vector<storage::DirEntry>>> list(std::string path) override {
    co_return co_await inner_->list(std::move(path));
  }
  awaitable<Result<storage::DirEntry>> stat(std::string path) override {
    co_return co_await inner_->stat(std::move(path));
  }
  awaitable<Result<Usage>> make_dir(std::string path, bool parents, AdmitDirs admit) override {
    co_return co_await inner_->make_dir(std::move(path), parents, std::move(admit));
  }
  awaitable<Result<Usage>> remove_dir(std::string path) override {
    co_return co_await inner_->remove_dir(std::move(path));
  }
  awaitable<Result<Moved>> move(std::string from, std::string to,
                                std::size_t max_path_bytes) override {
    co_return co_await inner_->move(std::move(from), std::move(to), max_path_bytes);
  }
  awaitable<Result<Usage>> usage() override { co_return co_await inner_->usage(); }
  awaitable<Result<std::vector<storage::FileCheck>>> verify() override {
    co_return co_await inner_->verify();
  }
  awaitable<std::uint64_t> size_of(std::string path) override {
    co_return co_await inner_->size_of(std::move(path));
  }
  awaitable<Result<std::vector<storage::DeadProp>>> dead_props(std::string path) override {
    co_return co_await inner_->dead_props(std::move(path));
  }
  awaitable<Result<void>> patch_dead_props(std::string path,
                                           std::vector<storage::PropChange> changes) override {
    co_return co_await inner_->patch_dead_props(std::move(path), std::move(changes));
  }

 private:
  std::unique_ptr<storage::Space> inner_;
  bool forge_;
};

class NoReadBackBackend final : public storage::Backend {
 public:
  explicit NoReadBackBackend(bool forge = false) : forge_(forge) {}
  storage::Capabilities capabilities() const override { return inner_.capabilities(); }
  awaitable<Result<std::unique_ptr<storage::Space>>> open_space(std::string user) override {
    auto space = co_await inner_.open_space(std::move(user));
    if (!space) {
      co_return space.error();
    }
    co_return std::unique_ptr<storage::Space>(
        std::make_unique<NoReadBackSpace>(std::move(*space), forge_));
  }
  awaitable<std::size_t> remove_stale(std::chrono::seconds partial_ttl) override {
    co_return co_await inner_.remove_stale(partial_ttl);
  }

 private:
  storage::MemoryBackend inner_;
  bool forge_;
};

// A quota whose calls block, as the cluster's (pg::PgQuota): a ledger
// behind a pool of one thread of its own, where plan_scan(), reserve(),
// used() and reserved() must be called (it counts the calls made anywhere
// else: files/ must make none) and where bookings and releases are queued.
class PooledQuota final : public Quota {
 public:
  explicit PooledQuota(QuotaLedger::Limits limits) : ledger_(limits, std::chrono::minutes(10)) {}
  ~PooledQuota() override { pool_.join(); }
  PooledQuota(const PooledQuota&) = delete;
  PooledQuota& operator=(const PooledQuota&) = delete;

  bool enabled() const override { return ledger_.enabled(); }
  Plan plan_scan(const std::string& user, Clock::time_point now) override {
    note();
    return ledger_.plan_scan(user, now);
  }
  void finish_scan(const std::string& user, const ScanTicket& ticket, const Result<Usage>& found,
                   Clock::time_point now) override {
    asio::post(pool_,
               [this, user, ticket, found, now] { ledger_.finish_scan(user, ticket, found, now); });
  }
  Result<Reservation> reserve(const std::string& user, Usage needed,
                              std::uint64_t replaced_bytes) override {
    note();
    auto held = ledger_.reserve(user, needed, replaced_bytes);
    if (!held) {
      return held.error();
    }
    holds_.push_back({user, needed, std::move(*held)});
    return Reservation(this, user, needed);
  }
  void record(const std::string& user, Usage added, Usage removed) override {
    asio::post(pool_, [this, user, added, removed] { ledger_.record(user, added, removed); });
  }
  std::optional<Usage> used(const std::string& user) const override {
    note();
    return ledger_.used(user);
  }
  Usage reserved(const std::string& user) const override {
    note();
    return ledger_.reserved(user);
  }
  void mark_all_stale() override {
    asio::post(pool_, [this] { ledger_.mark_all_stale(); });
  }
  asio::thread_pool* blocking_pool() override { return &pool_; }

  // Runs fn() on the pool, after everything queued before it.
  template <typename F>
  auto on_pool(F fn) {
    std::packaged_task<std::invoke_result_t<F>()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(pool_, [&task] { task(); });  // (a bare packaged_task is a completion token)
    return result.get();
  }
  int calls_off_pool() const { return off_pool_.load(); }

 private:
  struct Hold {
    std::string user;
    Usage amount;
    Reservation inner;
  };
  void release(const std::string& user, Usage amount) override {
    asio::post(pool_, [this, user, amount] {
      auto it = std::find_if(holds_.begin(), holds_.end(),
                             [&](const Hold& h) { return h.user == user && h.amount == amount; });
      if (it != holds_.end()) {
        holds_.erase(it);
      }
    });
  }
  void note() const {
    if (!pool_.get_executor().running_in_this_thread()) {
      ++off_pool_;
    }
  }

  QuotaLedger ledger_;
  std::vector<Hold> holds_;  // only touched on the pool
  mutable asio::thread_pool pool_{1};
  mutable std::atomic<int> off_pool_{0};
};

// Runs over the POSIX backend (alice's home on disk, `home_`), the
// in-memory one, and the in-memory one that keeps a digest state instead
// of reading the first held bytes back (as S3): UserFiles must not care
// which; and over the in-memory one with a quota that blocks ("pooled").
class UserFilesTest : public ::testing::TestWithParam<const char*> {
 protected:
  bool posix() const { return std::string(GetParam()) == "posix"; }
  bool pooled() const { return std::string(GetParam()) == "pooled"; }

  void SetUp() override {
    if (posix()) {
      auto opened = storage::PosixBackend::open(dir_.path() / "root", disk_);
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      backend_ = std::move(*opened);
      home_ = dir_.path() / "root" / "u" / "alice";
    } else if (std::string(GetParam()) == "no-read-back") {
      backend_ = std::make_unique<NoReadBackBackend>();
    } else {
      backend_ = std::make_unique<storage::MemoryBackend>();
    }
  }

  // Builds alice's UserFiles with these quotas (0: none) and file limit.
  void start(QuotaLedger::Limits quota = {}, std::uint64_t max_file_bytes = 1 << 20) {
    if (pooled()) {
      pooled_ = std::make_unique<PooledQuota>(quota);
      quota_ = pooled_.get();
    } else {
      ledger_.emplace(quota, std::chrono::minutes(10));
      quota_ = &*ledger_;
    }
    run_coroutine([&]() -> awaitable<void> {
      auto space = co_await backend_->open_space("alice");
      EXPECT_TRUE(space.ok());
      files_.emplace("alice", std::move(*space), Services{*quota_, *backend_, hashing_, slow_jobs_},
                     Limits{max_file_bytes, 4096, std::chrono::seconds(5)});
    });
  }
  void TearDown() override {
    files_.reset();
    if (pooled_) {
      EXPECT_EQ(pooled_->calls_off_pool(), 0);
      pooled_.reset();
    }
    disk_.join();
    hashing_.join();
    slow_jobs_.stop();
  }

  // What alice's space holds at the top: for POSIX every name in the
  // directory (hidden partials too), else what list() shows.
  std::vector<std::string> stored_names() {
    if (posix()) {
      return test::names_in(home_);
    }
    std::vector<std::string> names;
    run_coroutine([&]() -> awaitable<void> {
      auto space = co_await backend_->open_space("alice");
      auto listed = co_await (*space)->list("");
      for (const auto& entry : *listed) {
        names.push_back(entry.name);
      }
    });
    return names;
  }

  // The content stored at `path`, or nullopt when there is none.
  std::optional<std::string> content(std::string path) {
    std::optional<std::string> out;
    run_coroutine([&]() -> awaitable<void> {
      auto space = co_await backend_->open_space("alice");
      auto file = co_await (*space)->open_read(path);
      if (!file) {
        co_return;
      }
      std::string data((*file)->size(), '\0');
      auto n = co_await (*file)->read_at(data.data(), data.size(), 0);
      EXPECT_EQ(n.value(), data.size());
      out = data;
    });
    return out;
  }

  // Stores `content` at `path` straight through the backend, without a
  // digest (as a file stored before digests).
  void put_file(std::string path, std::string data) {
    run_coroutine([&]() -> awaitable<void> {
      auto space = co_await backend_->open_space("alice");
      auto up = co_await (*space)->create(path, std::nullopt);
      EXPECT_TRUE((co_await (*up)->write(data.data(), data.size())).ok());
      EXPECT_TRUE((co_await (*up)->commit()).ok());
    });
  }

  // Uploads `content` to `path` in one go; the first error.
  awaitable<Result<Upload::Stored>> upload(std::string path, std::string content,
                                           std::optional<std::string> claimed) {
    auto up = co_await files_->begin_upload(path, content.size(), true);
    if (!up) {
      co_return up.error();
    }
    if (auto ok = co_await up->start_at(0); !ok) {
      co_return ok.error();
    }
    if (auto ok = co_await up->write(content.data(), content.size()); !ok) {
      co_return ok.error();
    }
    co_return co_await up->finish(claimed);
  }

  // Reads a download to its end, then checks it; the first error.
  static awaitable<Result<std::string>> read_all(Download& down) {
    std::string out;
    char buffer[4];  // small, so that a download takes several pieces
    while (true) {
      auto n = co_await down.read(buffer, sizeof buffer);
      if (!n) {
        co_return n.error();
      }
      if (*n == 0) {
        break;
      }
      out.append(buffer, *n);
    }
    if (auto ok = down.check(); !ok) {
      co_return ok.error();
    }
    co_return out;
  }

  // The books as they are once what was queued ran.
  Usage reserved() const {
    if (pooled_) {
      return pooled_->on_pool([this] { return pooled_->reserved("alice"); });
    }
    return ledger_->reserved("alice");
  }
  std::optional<Usage> used() const {
    if (pooled_) {
      return pooled_->on_pool([this] { return pooled_->used("alice"); });
    }
    return ledger_->used("alice");
  }

  test::TempDir dir_{"sfs-files"};
  fs::path home_;
  asio::thread_pool disk_{1};
  asio::thread_pool hashing_{1};
  std::unique_ptr<storage::Backend> backend_;
  std::optional<QuotaLedger> ledger_;
  std::unique_ptr<PooledQuota> pooled_;
  Quota* quota_ = nullptr;
  FairQueue slow_jobs_{1, 8};
  std::optional<UserFiles> files_;
};

TEST_P(UserFilesTest, AnUploadIsVisibleOnlyAfterFinish) {
  start();
  run_coroutine([&]() -> awaitable<void> {
    auto up = co_await files_->begin_upload("a.txt", 5, true);
    EXPECT_TRUE(up.ok());
    EXPECT_EQ(up->offer().held, 0U);
    EXPECT_TRUE(up->offer().digest.empty());
    EXPECT_TRUE((co_await up->start_at(0)).ok());
    EXPECT_TRUE((co_await up->write("hello", 5)).ok());
    EXPECT_EQ((co_await files_->stat("a.txt")).error().code, Errc::kNotFound);
    auto stored = co_await up->finish(crypto::digest_of("hello"));
    EXPECT_TRUE(stored.ok());
    EXPECT_EQ(stored->size, 5U);
    EXPECT_EQ(stored->digest, crypto::digest_of("hello"));
    EXPECT_EQ(content("a.txt"), "hello");
  });
}

TEST_P(UserFilesTest, AnUploadWithoutAClaimedDigestIsStored) {
  start();
  run_coroutine([&]() -> awaitable<void> {
    auto stored = co_await upload("a.txt", "hello", std::nullopt);
    EXPECT_TRUE(stored.ok());
    EXPECT_EQ(stored->digest, crypto::digest_of("hello"));
    EXPECT_EQ(content("a.txt"), "hello");
  });
}

TEST_P(UserFilesTest, AnUploadOfWhatIsThereAlreadyIsNotBegun) {
  start();
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_TRUE((co_await upload("a.txt", "hello", std::nullopt)).ok());
    // The same size and digest: nothing to begin.
    auto same =
        co_await files_->begin_upload_unless_same("a.txt", 5, crypto::digest_of("hello"), true);
    EXPECT_TRUE(same.ok() && !same->has_value());
    // Another content of the same size, another size: begun (and stopped).
    for (auto [size, text] : {std::pair<std::uint64_t, std::string>{5, "jello"}, {6, "hello!"}}) {
      auto other =
          co_await files_->begin_upload_unless_same("a.txt", size, crypto::digest_of(text), true);
      EXPECT_TRUE(other.ok() && other->has_value()) << text;
      if (other.ok() && other->has_value()) {
        co_await (*other)->stop(false);
      }
    }
    // Another name: begun, and stored.
    auto fresh =
        co_await files_->begin_upload_unless_same("b.txt", 5, crypto::digest_of("hello"), true);
    EXPECT_TRUE(fresh.ok() && fresh->has_value());
    if (!fresh.ok() || !fresh->has_value()) {
      co_return;
    }
    EXPECT_TRUE((co_await (*fresh)->start_at(0)).ok());
    EXPECT_TRUE((co_await (*fresh)->write("hello", 5)).ok());
    EXPECT_TRUE((co_await (*fresh)->finish(crypto::digest_of("hello"))).ok());
    EXPECT_EQ(content("b.txt"), "hello");
    EXPECT_EQ(content("a.txt"), "hello");
  });
}

TEST_P(UserFilesTest, AFileOverTheLimitIsRefusedBeforeAnyByte) {
  start({}, 4);
  run_coroutine([&]() -> awaitable<void> {
    auto up = co_await files_->begin_upload("a.txt", 5, true);
    EXPECT_FALSE(up.ok());
    EXPECT_EQ(up.error().code, Errc::kTooLarge);
    EXPECT_EQ(up.error().message, "file larger than the server's limit of 4 bytes");
  });
  EXPECT_TRUE(stored_names().empty());
}

TEST_P(UserFilesTest, TheQuotaRefusesBeforeAnyByteAndHoldsWhileInFlight) {
  start({10, 0});
  run_coroutine([&]() -> awaitable<void> {
    auto big = co_await files_->begin_upload("big", 11, true);
    EXPECT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, Errc::kTooLarge);
    EXPECT_EQ(big.error().message.rfind("quota exceeded", 0), 0U) << big.error().message;
    EXPECT_TRUE(stored_names().empty());

    auto first = co_await files_->begin_upload("a", 8, true);
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(reserved().bytes, 8U);
    auto second = co_await files_->begin_upload("b", 5, true);  // 8 + 5 > 10
    EXPECT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, Errc::kTooLarge);
    EXPECT_TRUE((co_await first->start_at(0)).ok());
    EXPECT_TRUE((co_await first->write("12345678", 8)).ok());
    EXPECT_TRUE((co_await first->finish(std::nullopt)).ok());
    EXPECT_EQ(reserved(), Usage());
    EXPECT_EQ(used(), (Usage{8, 1}));
  });
}

TEST_P(UserFilesTest, AStoppedUploadGivesItsQuotaBack) {
  start({10, 0});
  run_coroutine([&]() -> awaitable<void> {
    auto up = co_await files_->begin_upload("a", 8, true);
    EXPECT_TRUE(up.ok());
    EXPECT_TRUE((co_await up->start_at(0)).ok());
    EXPECT_TRUE((co_await up->write("123", 3)).ok());
    co_await up->stop(false);
    EXPECT_EQ(reserved(), Usage());
    EXPECT_EQ(used(), Usage());
  });
  EXPECT_TRUE(stored_names().empty());  // refused for good: no partial kept
}

TEST_P(UserFilesTest, AnUploadUnlessSameKeepsAPartialOnlyWhenResumable) {
  start({100, 0});
  run_coroutine([&]() -> awaitable<void> {
    for (const bool resumable : {false, true}) {
      auto up = co_await files_->begin_upload_unless_same(
          "a.bin", 10, crypto::digest_of("helloworld"), resumable);
      EXPECT_TRUE(up.ok() && up->has_value());
      if (!up.ok() || !up->has_value()) {
        co_return;
      }
      EXPECT_EQ((*up)->offer().held, 0U);  // nothing kept from the round before
      EXPECT_TRUE((co_await (*up)->start_at(0)).ok());
      EXPECT_TRUE((co_await (*up)->write("hello", 5)).ok());
      co_await (*up)->stop(true);  // cut
      EXPECT_EQ(used(), resumable ? (Usage{5, 1}) : Usage()) << resumable;
    }
    auto again = co_await files_->begin_upload("a.bin", 10, true);
    EXPECT_EQ(again->offer().held, 5U);
  });
}

TEST_P(UserFilesTest, AnInterruptedUploadIsOfferedForResume) {
  start({100, 0});
  run_coroutine([&]() -> awaitable<void> {
    {
      auto up = co_await files_->begin_upload("a.bin", 10, true);
      EXPECT_TRUE(up.ok());
      EXPECT_TRUE((co_await up->start_at(0)).ok());
      EXPECT_TRUE((co_await up->write("hello", 5)).ok());
      co_await up->stop(true);  // cut
    }
    EXPECT_EQ(reserved(), Usage());
    EXPECT_EQ(used(), (Usage{5, 1}));  // the kept partial counts
    auto up = co_await files_->begin_upload("a.bin", 10, true);
    EXPECT_TRUE(up.ok());
    EXPECT_EQ(up->offer().held, 5U);
    EXPECT_EQ(up->offer().digest, crypto::digest_of("hello"));
    EXPECT_EQ((co_await up->start_at(3)).error().code, Errc::kBadRequest);
    EXPECT_TRUE((co_await up->start_at(5)).ok());
    EXPECT_TRUE((co_await up->write("world", 5)).ok());
    auto stored = co_await up->finish(crypto::digest_of("helloworld"));
    EXPECT_TRUE(stored.ok());
    EXPECT_EQ(used(), (Usage{10, 1}));
  });
  EXPECT_EQ(content("a.bin"), "helloworld");
  EXPECT_EQ(stored_names(), std::vector<std::string>{"a.bin"});
}

TEST_P(UserFilesTest, AnUploadDroppedUnfinishedIsKeptForResume) {
  start({100, 0});
  run_coroutine([&]() -> awaitable<void> {
    {
      auto up = co_await files_->begin_upload("a.bin", 10, true);
      EXPECT_TRUE(up.ok());
      EXPECT_TRUE((co_await up->start_at(0)).ok());
      EXPECT_TRUE((co_await up->write("abc", 3)).ok());
    }  // as when the door's coroutine ends on a cut connection
    EXPECT_EQ(reserved(), Usage());
    EXPECT_EQ(used(), (Usage{3, 1}));
    auto plain = co_await files_->begin_upload("b.bin", 10, false);
    EXPECT_TRUE(plain.ok());
    EXPECT_TRUE((co_await plain->start_at(0)).ok());
    EXPECT_TRUE((co_await plain->write("abc", 3)).ok());
    co_await plain->stop(true);  // not resumable: nothing to keep
    EXPECT_EQ(used(), (Usage{3, 1}));
    auto again = co_await files_->begin_upload("a.bin", 10, true);
    EXPECT_EQ(again->offer().held, 3U);
  });
  EXPECT_FALSE(content("a.bin"));
  EXPECT_FALSE(content("b.bin"));
}

TEST_P(UserFilesTest, ADigestMismatchIsRefusedAndReplacesNothing) {
  put_file("a.txt", "old");
  start();
  run_coroutine([&]() -> awaitable<void> {
    auto stored = co_await upload("a.txt", "new!", crypto::digest_of("other"));
    EXPECT_FALSE(stored.ok());
    EXPECT_EQ(stored.error().code, Errc::kIntegrity);
    EXPECT_EQ(stored.error().message, "upload does not match its digest; nothing stored");
  });
  EXPECT_EQ(content("a.txt"), "old");
  EXPECT_EQ(stored_names(), std::vector<std::string>{"a.txt"});
}

TEST_P(UserFilesTest, ADownloadResumesAtTheOffsetOnlyForTheSameContent) {
  start();
  const std::string digest = crypto::digest_of("helloworld");
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_TRUE((co_await upload("a.txt", "helloworld", digest)).ok());
    auto down = co_await files_->open_download("a.txt", 5, digest);
    EXPECT_TRUE(down.ok());
    EXPECT_EQ(down->size(), 10U);
    EXPECT_EQ(down->stored_digest(), digest);
    EXPECT_EQ(down->start(), 5U);
    EXPECT_EQ((co_await read_all(*down)).value(), "world");
    EXPECT_EQ(co_await down->finish(), digest);

    auto other = co_await files_->open_download("a.txt", 5, crypto::digest_of("else"));
    EXPECT_TRUE(other.ok());
    EXPECT_EQ(other->start(), 0U);
    EXPECT_EQ((co_await read_all(*other)).value(), "helloworld");

    auto missing = co_await files_->open_download("nope", 0, "");
    EXPECT_EQ(missing.error().code, Errc::kNotFound);
  });
}

TEST_P(UserFilesTest, BitrotIsFoundBeforeTheEnd) {
  if (!posix()) {
    GTEST_SKIP() << "flips a byte on disk";
  }
  start();
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_TRUE((co_await upload("a.txt", "helloworld", std::nullopt)).ok());
  });
  {  // flip a byte in place: same inode, so the stored digest stays
    std::fstream file(home_ / "a.txt", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(3);
    file.put('X');
  }
  run_coroutine([&]() -> awaitable<void> {
    auto down = co_await files_->open_download("a.txt", 0, "");
    EXPECT_TRUE(down.ok());
    if (down->stored_digest().empty()) {
      ADD_FAILURE() << "no user xattrs in /tmp: no stored digest to check against";
      co_return;
    }
    auto read = co_await read_all(*down);
    EXPECT_FALSE(read.ok());
    EXPECT_EQ(read.error().code, Errc::kIntegrity);
    EXPECT_EQ(read.error().message, "stored file is damaged (digest mismatch); not sent");
    auto hashed = co_await files_->verify();
    EXPECT_TRUE(hashed.ok());
    EXPECT_EQ(hashed->size(), 1U);
    EXPECT_EQ(hashed->at(0).status, storage::FileCheck::Status::kCorrupt);
  });
}

TEST_P(UserFilesTest, APreviewReadsWithoutACheck) {
  start();
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_TRUE((co_await upload("a.txt", "helloworld", std::nullopt)).ok());
  });
  run_coroutine([&]() -> awaitable<void> {
    auto preview = co_await files_->open_preview("a.txt");
    EXPECT_TRUE(preview.ok());
    char buffer[4];
    EXPECT_EQ((co_await preview->read(buffer, sizeof buffer)).value(), 4U);
    EXPECT_EQ(std::string(buffer, 4), "hell");
  });
}

TEST_P(UserFilesTest, FoldersListStatMoveAndRemove) {
  put_file("a.txt", "abc");
  start();
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_TRUE((co_await files_->make_dir("d", false)).ok());
    EXPECT_EQ((co_await files_->make_dir("d", false)).error().code, Errc::kExists);
    EXPECT_EQ((co_await files_->make_dir("x/y", false)).error().code, Errc::kNotFound);
    auto listed = co_await files_->list("");
    EXPECT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 2U);
    EXPECT_EQ(listed->at(0).name, "a.txt");
    EXPECT_TRUE(listed->at(1).is_dir);
    EXPECT_EQ((co_await files_->stat("a.txt"))->size, 3U);
    EXPECT_EQ((co_await files_->stat("nope")).error().code, Errc::kNotFound);
    EXPECT_EQ((co_await files_->list("a.txt")).error().code, Errc::kNotDir);

    auto moved = co_await files_->move("a.txt", "d");
    EXPECT_EQ(moved.value(), "d/a.txt");
    EXPECT_EQ((co_await files_->move("nope", "d")).error().code, Errc::kNotFound);
    EXPECT_EQ((co_await files_->remove_dir("d")).error().code, Errc::kNotEmpty);
    EXPECT_TRUE((co_await files_->remove("d/a.txt")).ok());
    EXPECT_EQ((co_await files_->remove("d/a.txt")).error().code, Errc::kNotFound);
    EXPECT_EQ((co_await files_->remove("d")).error().code, Errc::kIsDir);
    EXPECT_TRUE((co_await files_->remove_dir("d")).ok());
    EXPECT_EQ((co_await files_->remove_dir("d")).error().code, Errc::kNotFound);
  });
  EXPECT_TRUE(stored_names().empty());
}

TEST_P(UserFilesTest, FoldersCountAgainstTheEntriesQuota) {
  start({0, 2});
  run_coroutine([&]() -> awaitable<void> {
    auto made = co_await files_->make_dir("a/b/c", true);  // three entries, two allowed
    EXPECT_FALSE(made.ok());
    EXPECT_EQ(made.error().code, Errc::kTooLarge);
    EXPECT_TRUE(stored_names().empty());
    EXPECT_TRUE((co_await files_->make_dir("a/b", true)).ok());
    EXPECT_EQ(used(), (Usage{0, 2}));
    EXPECT_EQ(reserved(), Usage());
    EXPECT_TRUE((co_await files_->remove_dir("a/b")).ok());
    EXPECT_EQ(used(), (Usage{0, 1}));
    auto usage = co_await files_->usage();
    EXPECT_EQ(usage.value(), (Usage{0, 1}));
  });
}

TEST_P(UserFilesTest, HashGivesTheStoredOrComputedDigest) {
  put_file("plain.txt", "abc");  // stored without a digest
  start();
  run_coroutine([&]() -> awaitable<void> {
    EXPECT_EQ((co_await files_->hash("plain.txt")).value(), crypto::digest_of("abc"));
    EXPECT_EQ((co_await files_->hash("nope")).error().code, Errc::kNotFound);
    auto usage = co_await files_->usage();  // no quotas: measured now
    EXPECT_EQ(usage.value(), (Usage{3, 1}));
  });
}

// Held bytes the backend cannot read back are offered with the digest
// state it kept (WriteHandle::held_digest), the rest read back: the offer
// is the digest of everything held, and the resumed upload's digest is
// the whole file's. A kept state of other bytes shows in the offer (a
// client's digest will not match it) and, if a client resumed anyway, in
// the final check: nothing wrong is stored.
TEST(UserFilesHeldDigestTest, TheOfferContinuesTheKeptStateAndAForgedOneStoresNothing) {
  for (const bool forge : {false, true}) {
    SCOPED_TRACE(forge);
    NoReadBackBackend backend(forge);
    QuotaLedger ledger({}, std::chrono::minutes(10));
    asio::thread_pool hashing(1);
    FairQueue slow_jobs(1, 8);
    run_coroutine([&]() -> awaitable<void> {
      auto space = co_await backend.open_space("alice");
      UserFiles files("alice", std::move(*space), Services{ledger, backend, hashing, slow_jobs},
                      Limits{1 << 20, 4096, std::chrono::seconds(5)});
      {
        auto up = co_await files.begin_upload("a.bin", 10, true);
        EXPECT_TRUE((co_await up->start_at(0)).ok());
        EXPECT_TRUE((co_await up->write("hello", 5)).ok());
        co_await up->stop(true);
      }
      auto up = co_await files.begin_upload("a.bin", 10, true);
      EXPECT_EQ(up->offer().held, 5U);
      EXPECT_EQ(up->offer().digest == crypto::digest_of("hello"), !forge);
      EXPECT_TRUE((co_await up->start_at(5)).ok());
      EXPECT_TRUE((co_await up->write("world", 5)).ok());
      auto stored = co_await up->finish(crypto::digest_of("helloworld"));
      EXPECT_EQ(stored.ok(), !forge);
      if (forge) {
        EXPECT_EQ(stored.error().code, Errc::kIntegrity);
        EXPECT_EQ((co_await files.stat("a.bin")).error().code, Errc::kNotFound);
        // Started over, it is stored.
        auto again = co_await files.begin_upload("a.bin", 10, true);
        EXPECT_TRUE((co_await again->start_at(0)).ok());
        EXPECT_TRUE((co_await again->write("helloworld", 10)).ok());
        EXPECT_TRUE((co_await again->finish(crypto::digest_of("helloworld"))).ok());
      }
      EXPECT_EQ((co_await files.stat("a.bin")).value().digest, crypto::digest_of("helloworld"));
    });
    hashing.join();
    slow_jobs.stop();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, UserFilesTest,
                         ::testing::Values("memory", "posix", "no-read-back", "pooled"),
                         [](const auto& info) {
                           std::string name(info.param);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace sfs::files
