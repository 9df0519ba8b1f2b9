// The S3 client (storage/s3/s3_client.h) against a real S3 endpoint: each
// operation the backend needs, on Ceph RGW. The S3Live tests run when
// SFS_TEST_S3_ENDPOINT, SFS_TEST_S3_ACCESS_KEY and SFS_TEST_S3_SECRET_KEY
// are set, which tests/integration/test_s3_client.py does after starting a
// one-node cluster (scripts/ceph-one-node); otherwise they skip. The
// S3Client tests need no endpoint: retries against a port nobody serves.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "asio/asio.h"
#include "run_task.h"
#include "storage/s3/s3_client.h"

namespace sfs::storage::s3 {
namespace {

using test::run;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(gen());
  }
  return s;
}

template <typename T>
void expect_code(const Result<T>& r, Errc code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " succeeded";
  EXPECT_EQ(static_cast<int>(code), static_cast<int>(r.error().code))
      << what << ": " << r.error().message;
}

class S3Live : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("SFS_TEST_S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "no S3 endpoint (tests/integration/test_s3_client.py sets one)";
    }
    static std::atomic<int> counter{0};
    config_.endpoint = env("SFS_TEST_S3_ENDPOINT");
    config_.access_key = env("SFS_TEST_S3_ACCESS_KEY");
    config_.secret_key = env("SFS_TEST_S3_SECRET_KEY");
    config_.bucket = "live-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    s3_ = make(config_);
    auto made = run(s3_->create_bucket());
    ASSERT_TRUE(made.ok()) << made.error().message;
  }
  void TearDown() override {
    s3_.reset();
    pool_.join();
  }

  std::unique_ptr<S3Client> make(const S3Config& config) {
    auto client = S3Client::create(config, pool_);
    SFS_CHECK(client.ok());
    return std::move(*client);
  }

  std::string get_all(const std::string& key, std::size_t capacity) {
    std::string buffer(capacity, '\0');
    auto got = run(s3_->get_object(key, buffer.data(), buffer.size(), 0));
    EXPECT_TRUE(got.ok()) << key << ": " << got.error().message;
    buffer.resize(got.ok() ? *got : 0);
    return buffer;
  }

  // Every key and prefix under `prefix`, page by page (`page_size` keys).
  std::pair<std::vector<std::string>, std::vector<std::string>> list_all(
      const std::string& prefix, const std::string& delimiter, int page_size, int* pages) {
    std::vector<std::string> keys, prefixes;
    std::string token;
    for (*pages = 0; *pages < 100; ++*pages) {
      auto page = run(s3_->list_objects(prefix, delimiter, token, page_size));
      EXPECT_TRUE(page.ok()) << page.error().message;
      if (!page.ok()) {
        break;
      }
      for (const ObjectEntry& o : page->objects) {
        keys.push_back(o.key);
      }
      prefixes.insert(prefixes.end(), page->prefixes.begin(), page->prefixes.end());
      if (!page->truncated) {
        ++*pages;
        break;
      }
      token = page->next_token;
    }
    return {keys, prefixes};
  }

  asio::thread_pool pool_{2};
  S3Config config_;
  std::unique_ptr<S3Client> s3_;
};

TEST_F(S3Live, PutHeadGetRangesAndDelete) {
  const std::string data = random_bytes(100'000, 1);
  auto put = run(s3_->put_object("u/alice/a.bin", data.data(), data.size(),
                                 {{"sfs-digest", "00ff"}, {"sfs-mtime", "1234567890"}}));
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_FALSE(put->empty());

  auto info = run(s3_->head_object("u/alice/a.bin"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(data.size(), info->size);
  EXPECT_EQ(*put, info->etag);
  EXPECT_EQ("00ff", info->metadata["sfs-digest"]);
  EXPECT_EQ("1234567890", info->metadata["sfs-mtime"]);
  EXPECT_GT(info->mtime, 1'700'000'000);

  EXPECT_EQ(data, get_all("u/alice/a.bin", 200'000));  // a buffer larger than the object
  char middle[1000];
  auto got = run(s3_->get_object("u/alice/a.bin", middle, sizeof middle, 50'000));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(sizeof middle, *got);
  EXPECT_EQ(data.substr(50'000, 1000), std::string(middle, sizeof middle));
  auto tail = run(s3_->get_object("u/alice/a.bin", middle, sizeof middle, 99'900));
  ASSERT_TRUE(tail.ok()) << tail.error().message;
  EXPECT_EQ(100u, *tail);
  auto past = run(s3_->get_object("u/alice/a.bin", middle, sizeof middle, 100'000));
  ASSERT_TRUE(past.ok()) << past.error().message;
  EXPECT_EQ(0u, *past);

  ASSERT_TRUE(run(s3_->delete_object("u/alice/a.bin")).ok());
  expect_code(run(s3_->head_object("u/alice/a.bin")), Errc::kNotFound, "head after delete");
  expect_code(run(s3_->get_object("u/alice/a.bin", middle, 10, 0)), Errc::kNotFound,
              "get after delete");
  EXPECT_TRUE(run(s3_->delete_object("u/alice/a.bin")).ok()) << "deleting a missing key";
}

TEST_F(S3Live, EmptyObjectsAndOddKeys) {
  const std::string odd = "u/bob/a b+c%d&e=f?g#h \xc3\xbc \xe2\x98\x83~.txt";
  ASSERT_TRUE(run(s3_->put_object(odd, "odd", 3, {})).ok());
  ASSERT_TRUE(run(s3_->put_object("u/bob/empty", "", 0, {})).ok());
  EXPECT_EQ("odd", get_all(odd, 10));
  EXPECT_EQ("", get_all("u/bob/empty", 10));
  auto info = run(s3_->head_object("u/bob/empty"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(0u, info->size);
  int pages = 0;
  auto [keys, prefixes] = list_all("u/bob/", "/", 1000, &pages);
  EXPECT_EQ((std::vector<std::string>{odd, "u/bob/empty"}), keys);
}

TEST_F(S3Live, ListingsWithDelimiterAndContinuation) {
  const std::vector<std::string> names = {"p/a",     "p/b",     "p/c",   "p/d",    "p/e",
                                          "p/sub/x", "p/sub/y", "p/t/z", "q/other"};
  for (const std::string& n : names) {
    ASSERT_TRUE(run(s3_->put_object(n, n.data(), n.size(), {})).ok()) << n;
  }
  int pages = 0;
  auto [keys, prefixes] = list_all("p/", "/", 2, &pages);
  EXPECT_EQ((std::vector<std::string>{"p/a", "p/b", "p/c", "p/d", "p/e"}), keys);
  EXPECT_EQ((std::vector<std::string>{"p/sub/", "p/t/"}), prefixes);
  EXPECT_GE(pages, 3);  // 7 entries, 2 a page
  auto [deep, none] = list_all("p/", "", 3, &pages);
  EXPECT_EQ(8u, deep.size());
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(3, pages);
}

TEST_F(S3Live, CopyKeepsOrReplacesMetadata) {
  ASSERT_TRUE(run(s3_->put_object("from", "content", 7, {{"sfs-digest", "aa"}})).ok());
  auto kept = run(s3_->copy_object("from", "to/kept", std::nullopt));
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  auto replaced = run(s3_->copy_object("from", "to/replaced b", Metadata{{"sfs-digest", "bb"}}));
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ("content", get_all("to/kept", 100));
  EXPECT_EQ("aa", run(s3_->head_object("to/kept"))->metadata["sfs-digest"]);
  EXPECT_EQ("bb", run(s3_->head_object("to/replaced b"))->metadata["sfs-digest"]);
  expect_code(run(s3_->copy_object("missing", "to/x", std::nullopt)), Errc::kNotFound,
              "copy of a missing key");
}

TEST_F(S3Live, MultipartVisibleOnlyOnCompleteAndPartsListed) {
  const std::string first = random_bytes(5 << 20, 2), second = random_bytes(1000, 3);
  auto id = run(s3_->create_multipart("big", {{"sfs-digest", "cc"}}));
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto e1 = run(s3_->upload_part("big", *id, 1, first.data(), first.size()));
  ASSERT_TRUE(e1.ok()) << e1.error().message;
  auto e2 = run(s3_->upload_part("big", *id, 2, second.data(), second.size()));
  ASSERT_TRUE(e2.ok()) << e2.error().message;

  expect_code(run(s3_->head_object("big")), Errc::kNotFound, "head before complete");
  int pages = 0;
  EXPECT_TRUE(list_all("", "", 1000, &pages).first.empty());
  auto parts = run(s3_->list_parts("big", *id, 0));
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(2u, parts->parts.size());
  EXPECT_EQ(first.size(), parts->parts[0].size);
  EXPECT_EQ(*e2, parts->parts[1].etag);
  auto after_first = run(s3_->list_parts("big", *id, 1));
  ASSERT_TRUE(after_first.ok()) << after_first.error().message;
  ASSERT_EQ(1u, after_first->parts.size());
  EXPECT_EQ(2, after_first->parts[0].number);

  auto done = run(s3_->complete_multipart("big", *id, parts->parts));
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(first + second, get_all("big", first.size() + second.size()));
  EXPECT_EQ("cc", run(s3_->head_object("big"))->metadata["sfs-digest"]);
  expect_code(run(s3_->list_parts("big", *id, 0)), Errc::kNotFound, "parts after complete");
}

TEST_F(S3Live, AbortedMultipartLeavesNothing) {
  auto id = run(s3_->create_multipart("gone", {}));
  ASSERT_TRUE(id.ok()) << id.error().message;
  ASSERT_TRUE(run(s3_->upload_part("gone", *id, 1, "abc", 3)).ok());
  ASSERT_TRUE(run(s3_->abort_multipart("gone", *id)).ok());
  expect_code(run(s3_->list_parts("gone", *id, 0)), Errc::kNotFound, "parts after abort");
  expect_code(run(s3_->head_object("gone")), Errc::kNotFound, "head after abort");
  expect_code(run(s3_->upload_part("gone", *id, 2, "d", 1)), Errc::kNotFound, "a part after abort");
}

TEST_F(S3Live, BucketAndCredentialsChecked) {
  EXPECT_TRUE(run(s3_->head_bucket()).ok());
  S3Config missing = config_;
  missing.bucket = "no-such-bucket-" + std::to_string(::getpid());
  expect_code(run(make(missing)->head_bucket()), Errc::kNotFound, "a missing bucket");
  S3Config wrong = config_;
  wrong.secret_key = "not-the-secret";
  auto refused = run(make(wrong)->put_object("x", "x", 1, {}));
  expect_code(refused, Errc::kAuth, "a wrong secret");
  EXPECT_EQ(std::string::npos, refused.error().message.find("not-the-secret"));
  EXPECT_EQ(std::string::npos, refused.error().message.find(config_.access_key));
}

// No cluster needed: nothing listens on the port, so every attempt fails to
// connect; the client tries `attempts` times and says the store is down.
TEST(S3Client, EndpointDownIsStorageUnavailableAfterBoundedRetries) {
  asio::thread_pool pool(1);
  asio::io_context io;
  asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = closed.local_endpoint().port();
  closed.close();  // a port just freed: connections are refused
  S3Config config{.endpoint = "http://127.0.0.1:" + std::to_string(port),
                  .bucket = "b",
                  .access_key = "access",
                  .secret_key = "secret"};
  config.attempts = 3;
  config.backoff = std::chrono::milliseconds(1);
  auto s3 = S3Client::create(config, pool);
  ASSERT_TRUE(s3.ok());
  auto put = run((*s3)->put_object("k", "v", 1, {}));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(Errc::kIo, put.error().code);
  // The message may reach a user: neither the key (the bucket prefix) nor
  // the endpoint's address (curl's own text names it); the log has them.
  EXPECT_EQ("storage unavailable: S3 PUT: Couldn't connect to server (3 attempts)",
            put.error().message);
  EXPECT_EQ(std::string::npos, put.error().message.find("secret"));
  s3->reset();
  pool.join();
}

// A one-file HTTP peer on loopback that answers every request with
// `status` and `body` (closing each connection) and counts the requests:
// what a throttling or broken store looks like from the client.
class CannedServer {
 public:
  CannedServer(int status, std::string body)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        reply_("HTTP/1.1 " + std::to_string(status) +
               " Canned\r\nContent-Type: application/xml\r\n"
               "Content-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body) {
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(120)); });
  }
  ~CannedServer() {
    asio::post(io_, [this] { acceptor_.close(); });
    thread_.join();
  }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int requests() const { return requests_; }

 private:
  awaitable<void> serve() {
    try {
      for (int i = 0; i < 50; ++i) {
        auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
        std::string head;
        co_await asio::async_read_until(socket, asio::dynamic_buffer(head, 65536), "\r\n\r\n",
                                        asio::use_awaitable);
        ++requests_;
        co_await asio::async_write(socket, asio::buffer(reply_), asio::use_awaitable);
      }
    } catch (const std::exception&) {
      // the acceptor closed: the test is over
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string reply_;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Lists through `server` with 3 attempts; returns the result.
Result<ListPage> list_through(const CannedServer& server) {
  asio::thread_pool pool(1);
  S3Config config{
      .endpoint = server.endpoint(), .bucket = "b", .access_key = "access", .secret_key = "secret"};
  config.attempts = 3;
  config.backoff = std::chrono::milliseconds(1);
  auto s3 = S3Client::create(config, pool);
  SFS_CHECK(s3.ok());
  auto page = run((*s3)->list_objects("", "/", "", 1000));
  s3->reset();
  pool.join();
  return page;
}

TEST(S3Client, SlowDownIsRetriedThenReportedAsUnavailable) {
  CannedServer server(503,
                      "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>");
  auto page = list_through(server);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(3, server.requests());
  EXPECT_EQ(Errc::kIo, page.error().code);
  EXPECT_EQ("storage unavailable: S3 GET bucket: 503 SlowDown (Reduce your rate) (3 attempts)",
            page.error().message);
}

TEST(S3Client, ClientErrorsAreNotRetried) {
  CannedServer server(404, "<Error><Code>NoSuchBucket</Code><Message>none</Message></Error>");
  auto page = list_through(server);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(1, server.requests());
  EXPECT_EQ(Errc::kNotFound, page.error().code);
  EXPECT_EQ("S3 GET bucket: 404 NoSuchBucket (none)", page.error().message);
}

TEST(S3Client, AHostileReplyIsAnErrorNotACrash) {
  CannedServer server(200, "<ListBucketResult>" + std::string(100, '<'));
  auto page = list_through(server);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(1, server.requests());
  EXPECT_TRUE(page.error().message.starts_with("bad S3 reply: ")) << page.error().message;
}

}  // namespace
}  // namespace sfs::storage::s3
