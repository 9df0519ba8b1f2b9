#pragma once
// An S3 client for one bucket, the part of the S3 storage backend that
// speaks HTTP: libcurl signs each request with AWS SigV4 itself
// (CURLOPT_AWS_SIGV4, with `x-amz-content-sha256: UNSIGNED-PAYLOAD`, which
// Ceph RGW 16.2 needs for curl's signatures), path-style URLs
// (ENDPOINT/BUCKET/KEY), so any S3-compatible store on any host name works.
//
//   asio::thread_pool pool(4);
//   SFS_ASSIGN_OR_RETURN(auto s3, S3Client::create(config, pool));
//   co_await s3->put_object("u/alice/a.txt", data, size, {{"sfs-digest", hex}});
//   auto got = co_await s3->get_object("u/alice/a.txt", buffer, sizeof buffer, 0);
//
// Threads: each request runs on `pool` (curl's easy interface blocks), so
// a caller on a network thread only awaits; between attempts the caller's
// coroutine waits on a timer, not the pool. Connections are reused: the
// client keeps up to kMaxIdleHandles curl handles, each with its
// connection cache.
//
// Failures: every request has a connect timeout, a total timeout and a
// floor on its speed; a transport error, 5xx, 429 or SlowDown is retried up
// to `attempts` times in all, with exponential backoff (and jitter). Errors
// are Results with a one-line message naming the operation, the key and
// the S3 code; the keys of the account never appear in them (nor anywhere
// in a log): kNotFound (NoSuchKey, NoSuchBucket, NoSuchUpload), kAuth
// (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId), kIo (storage
// unavailable, or anything else the store refused).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "storage/s3/s3_xml.h"

namespace sfs::storage::s3 {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:7480" or "https://s3.example.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::chrono::milliseconds connect_timeout{5'000};
  // A whole request, body included (an 8 MiB part at the speed floor's
  // worst fits well inside it).
  std::chrono::milliseconds request_timeout{120'000};
  // A transfer slower than this many bytes per second for 30 s is cut.
  long min_bytes_per_second = 1024;
  int attempts = 4;                        // in all, the first included
  std::chrono::milliseconds backoff{100};  // before the 2nd attempt, doubling
  std::chrono::milliseconds max_backoff{5'000};
};

// User metadata (x-amz-meta-NAME: VALUE), NAME in lower case.
using Metadata = std::map<std::string, std::string>;

struct ObjectInfo {
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // Last-Modified, seconds since the epoch
  std::string etag;
  Metadata metadata;
  std::int64_t answered_at = 0;  // the reply's Date (the store's clock); 0 without
};

// Limits on what a reply may carry beyond its XML body.
inline constexpr std::size_t kMaxReplyHeaders = 200;
inline constexpr std::size_t kMaxReplyHeaderBytes = std::size_t{64} * 1024;
// S3 allows 2 KiB of user metadata per object.
inline constexpr std::size_t kMaxMetadataBytes = 2048;
inline constexpr std::size_t kMaxIdleHandles = 16;

class S3Client {
 public:
  // Checks the configuration (endpoint http:// or https://, a bucket name,
  // keys present): kBadRequest with a one-line reason. Sends nothing; see
  // head_bucket. `pool` must outlive the client.
  static Result<std::unique_ptr<S3Client>> create(S3Config config, asio::thread_pool& pool);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // The bucket exists and the keys may use it.
  awaitable<Result<void>> head_bucket();
  // Creates the bucket (tests and tools; the server never does).
  awaitable<Result<void>> create_bucket();

  // Stores `length` bytes at `data` (valid until the call completes) as
  // `key`, replacing what was there, with `metadata`. Returns the ETag.
  awaitable<Result<std::string>> put_object(std::string key, const char* data, std::size_t length,
                                            Metadata metadata);
  // Reads up to `length` bytes of `key` from `offset` into `data`; returns
  // the count, 0 at or past the end (as pread(2)). A store that answers a
  // ranged request with a different range is an error (kIo). With
  // `if_match` (an ETag as HEAD gave it), an object replaced since then is
  // kIo "changed since it was opened" rather than a mix of two versions.
  awaitable<Result<std::size_t>> get_object(std::string key, char* data, std::size_t length,
                                            std::uint64_t offset, std::string if_match = {});
  awaitable<Result<ObjectInfo>> head_object(std::string key);
  // Deleting a missing key succeeds (S3 says 204 either way).
  awaitable<Result<void>> delete_object(std::string key);
  // One page of keys starting with `prefix`; with a `delimiter` ("/"),
  // deeper keys come back as common prefixes. `token`: the previous page's
  // next_token, empty for the first. At most `max_keys` (1..1000) objects.
  awaitable<Result<ListPage>> list_objects(std::string prefix, std::string delimiter,
                                           std::string token, int max_keys = 1000);
  // Server-side copy of `from` to `to` (objects up to 5 GiB: larger ones
  // go in parts, s3_copy.h), with `metadata` replacing the source's when
  // given, else copied with it.
  awaitable<Result<std::string>> copy_object(std::string from, std::string to,
                                             std::optional<Metadata> metadata);

  // Multipart uploads: the object appears only with complete_multipart.
  awaitable<Result<std::string>> create_multipart(std::string key, Metadata metadata);
  // Uploads part `number` (1..10000); returns its ETag.
  awaitable<Result<std::string>> upload_part(std::string key, std::string upload_id, int number,
                                             const char* data, std::size_t length);
  // Makes part `number` of a multipart upload of `key` from bytes
  // [first, last] of the object `from` (server-side), as long as `from`
  // still has the ETag `if_match` (the parts of one copy must come from
  // one version); returns the part's ETag.
  awaitable<Result<std::string>> upload_part_copy(std::string key, std::string upload_id,
                                                  int number, std::string from, std::uint64_t first,
                                                  std::uint64_t last, std::string if_match);
  // One page of the parts uploaded so far, from after `marker` (0: first).
  awaitable<Result<PartsPage>> list_parts(std::string key, std::string upload_id, int marker);
  awaitable<Result<std::string>> complete_multipart(std::string key, std::string upload_id,
                                                    std::vector<PartEntry> parts);
  awaitable<Result<void>> abort_multipart(std::string key, std::string upload_id);
  // One page (at most 1000) of the multipart uploads under `prefix` not
  // yet completed or aborted, in key order, after `key_marker` and
  // `upload_id_marker` (the previous page's next_*; both empty: the first).
  awaitable<Result<UploadsPage>> list_multipart_uploads(std::string prefix, std::string key_marker,
                                                        std::string upload_id_marker);

  // Requests sent so far, each attempt counted (for tests and metrics).
  std::uint64_t requests_sent() const { return requests_sent_.load(std::memory_order_relaxed); }

  // A request as the client sends it (public for the implementation's
  // helpers in s3_client.cc; callers use the operations above).
  struct Request;
  struct Response;

 private:
  S3Client(S3Config config, asio::thread_pool& pool);
  awaitable<Result<Response>> send(std::shared_ptr<Request> request);
  Response perform(const Request& request);
  void* take_handle();
  void return_handle(void* handle);
  std::chrono::milliseconds backoff_before(int attempt);

  S3Config config_;
  asio::thread_pool& pool_;
  std::mutex mutex_;          // guards idle_ and random_
  std::vector<void*> idle_;   // CURL*, each keeping its connections
  std::uint64_t random_ = 0;  // for the backoff's jitter
  std::atomic<std::uint64_t> requests_sent_{0};
};

// Percent-encodes `text` as SigV4 wants a URI: everything but A-Z a-z 0-9
// - _ . ~ (and '/' when `keep_slash`), as %XX in upper case.
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace sfs::storage::s3
