#include "storage/s3/s3_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>
#include <mutex>
#include <utility>

#include "asio/offload.h"
#include "storage/s3/s3_sign.h"

namespace sfs::storage::s3 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct S3Client::Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string key;             // empty: the bucket itself
  Pairs query;                 // names and values, unencoded
  std::vector<std::string> headers;
  const char* body = nullptr;  // PUT or POST body, the caller's
  std::size_t body_length = 0;
  std::string owned_body;  // a body the request keeps (XML)
  char* sink = nullptr;    // a successful GET writes here (the caller's)
  std::size_t sink_capacity = 0;
  std::vector<long> also_ok;  // statuses that are answers, not failures
};

struct S3Client::Response {
  CURLcode curl = CURLE_OK;
  std::string curl_error;
  long status = 0;
  Pairs headers;  // names in lower case
  std::size_t header_bytes = 0;
  std::string body;      // XML replies and error bodies, bounded
  std::size_t sunk = 0;  // bytes written into the request's sink
  std::string overflow;  // why the reply was cut short, if it was

  // The first header called `name` (lower case), or "".
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return v;
      }
    }
    return {};
  }
};

namespace {

constexpr std::size_t kMaxErrorBodyBytes = std::size_t{64} * 1024;
constexpr long kLowSpeedSeconds = 30;

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Keeps a message from the store on one line and short.
std::string one_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  if (text.size() > 200) {
    text.resize(200);
  }
  return text;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// The state the curl callbacks of one perform() share.
struct Transfer {
  const S3Client::Request* request;
  S3Client::Response* response;
  CURL* curl;
  std::size_t body_sent = 0;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t.response->header_bytes += n;
  if (t.response->header_bytes > kMaxReplyHeaderBytes ||
      t.response->headers.size() >= kMaxReplyHeaders) {
    t.response->overflow = "too many reply headers";
    return 0;
  }
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t.response->headers.clear();  // after a 100 Continue, the real reply's
    return n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t.response->headers.emplace_back(lower(trim(line.substr(0, colon))),
                                     trim(line.substr(colon + 1)));
  }
  return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
  S3Client::Response& r = *t.response;
  if (t.request->sink != nullptr && status >= 200 && status < 300) {
    if (n > t.request->sink_capacity - r.sunk) {
      r.overflow = "the store sent more bytes than were asked for";
      return 0;
    }
    std::memcpy(t.request->sink + r.sunk, data, n);
    r.sunk += n;
    return n;
  }
  const std::size_t cap = status >= 300 ? kMaxErrorBodyBytes : kMaxXmlReplyBytes;
  if (n > cap - std::min(cap, r.body.size())) {
    r.overflow = "a reply body larger than " + std::to_string(cap) + " bytes";
    return 0;
  }
  r.body.append(data, n);
  return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = std::min(size * count, t.request->body_length - t.body_sent);
  std::memcpy(buffer, t.request->body + t.body_sent, n);
  t.body_sent += n;
  return n;
}

// Transport failures worth another attempt: the store may be back soon.
bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool retryable(const S3Client::Response& r) {
  if (!r.overflow.empty()) {
    return false;
  }
  if (r.curl != CURLE_OK) {
    return transient(r.curl);
  }
  if (r.status >= 500 || r.status == 429) {
    return true;
  }
  const std::string code = parse_error(r.body).code;
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError";
}

bool answered(const S3Client::Request& q, const S3Client::Response& r) {
  if (r.curl != CURLE_OK || !r.overflow.empty()) {
    return false;
  }
  return (r.status >= 200 && r.status < 300) ||
         std::find(q.also_ok.begin(), q.also_ok.end(), r.status) != q.also_ok.end();
}

// What a message names of a request: the method, not the key (it holds the
// server's bucket prefix, and a message may reach the user) nor the
// endpoint; the log gets those (log_failure).
std::string operation(const S3Client::Request& q) {
  return "S3 " + q.method + (q.key.empty() ? " bucket" : "");
}

// The whole story of a failed request, for the server's log only.
void log_failure(const S3Client::Request& q, const std::string& why) {
  spdlog::warn("S3 {} {}: {}", q.method, q.key.empty() ? "(bucket)" : one_line(q.key), why);
}

Errc errc_of(long status, const std::string& code) {
  if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload" ||
      (code.empty() && status == 404)) {
    return Errc::kNotFound;
  }
  if (code == "AccessDenied" || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
      (code.empty() && (status == 401 || status == 403))) {
    return Errc::kAuth;
  }
  return Errc::kIo;
}

Error to_error(const S3Client::Request& q, const S3Client::Response& r, int attempts) {
  if (!r.overflow.empty()) {
    return make_error(Errc::kIo, operation(q) + ": " + r.overflow);
  }
  const std::string tries = attempts > 1 ? " (" + std::to_string(attempts) + " attempts)" : "";
  if (r.curl != CURLE_OK) {
    // curl's own text names the endpoint's address: the log has it.
    const std::string why = r.curl_error.empty() ? curl_easy_strerror(r.curl) : r.curl_error;
    log_failure(q, one_line(why) + tries);
    return make_error(Errc::kIo, std::string(kStorageUnavailable) + ": " + operation(q) + ": " +
                                     curl_easy_strerror(r.curl) + tries);
  }
  ErrorReply e = parse_error(r.body);
  std::string text = operation(q) + ": " + std::to_string(r.status);
  if (!e.code.empty()) {
    text += " " + one_line(e.code);
  }
  if (!e.message.empty()) {
    text += " (" + one_line(e.message) + ")";
  }
  Errc code = errc_of(r.status, e.code);
  if (r.status >= 500 || r.status == 429) {
    text = std::string(kStorageUnavailable) + ": " + text + tries;
  }
  if (code != Errc::kNotFound) {  // a 404 is an answer, not a failure
    log_failure(q, text);
  }
  return make_error(code, text);
}

Result<void> check_metadata(const Metadata& metadata) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : metadata) {
    bytes += name.size() + value.size();
    bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return unreserved(c) && !(c >= 'A' && c <= 'Z');
    });
    bool printable =
        std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (!plain || !printable) {
      return make_error(Errc::kInternal, "S3 metadata '" + name + "' cannot be sent as a header");
    }
  }
  if (bytes > kMaxMetadataBytes) {
    return make_error(Errc::kTooLarge, "S3 metadata is larger than 2 KiB");
  }
  return {};
}

void add_metadata(S3Client::Request& q, const Metadata& metadata) {
  for (const auto& [name, value] : metadata) {
    std::string header = "x-amz-meta-";
    header.append(name).append(": ").append(value);
    q.headers.push_back(std::move(header));
  }
}

std::once_flag curl_initialised;

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

namespace {

// ENDPOINT/BUCKET[/KEY][?QUERY], the query in SigV4's canonical form
// (sorted, encoded, every name with '='), so the URL is what gets signed.
std::string url_of(const S3Config& c, const S3Client::Request& q) {
  std::string url = c.endpoint + "/" + uri_encode(c.bucket, false);
  if (!q.key.empty()) {
    url += "/" + uri_encode(q.key, true);
  }
  std::vector<std::string> parts;
  for (const auto& [name, value] : q.query) {
    parts.push_back(uri_encode(name, false) + "=" + uri_encode(value, false));
  }
  std::sort(parts.begin(), parts.end());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    url += (i == 0 ? "?" : "&") + parts[i];
  }
  return url;
}

// The header lines a request signed here (s3_sign.h) adds: Host,
// x-amz-date and Authorization; none when curl signs it right.
std::vector<std::string> own_signature(const S3Config& c, const S3Client::Request& q,
                                       const std::string& url) {
  std::vector<std::string> names{"x-amz-content-sha256"};
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::string& h : q.headers) {
    const auto colon = h.find(':');
    std::string name = h.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    names.push_back(name);
    headers.emplace_back(name, colon == std::string::npos ? "" : h.substr(colon + 1));
  }
  if (curl_orders_alike(names)) {
    return {};
  }
  const auto scheme_end = c.endpoint.find("://");
  const std::string authority =
      c.endpoint.substr(scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string host = authority.substr(0, authority.find('/'));
  const std::string after = url.substr(c.endpoint.size());  // "/bucket/key?query"
  const auto mark = after.find('?');
  std::array<char, 17> date{};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  if (std::strftime(date.data(), date.size(), "%Y%m%dT%H%M%SZ", &utc) == 0) {
    return {};  // (cannot happen: 16 characters) curl signs it then
  }
  const std::string authorization = sign_v4({
      .method = q.method,
      .path = after.substr(0, mark),
      .query = mark == std::string::npos ? "" : after.substr(mark + 1),
      .host = host,
      .amz_date = date.data(),
      .region = c.region,
      .payload_hash = "UNSIGNED-PAYLOAD",
      .headers = std::move(headers),
      .access_key = c.access_key,
      .secret_key = c.secret_key,
  });
  return {"Host: " + host, std::string("x-amz-date: ") + date.data(),
          "Authorization: " + authorization};
}

void set_method(CURL* curl, const S3Client::Request& q) {
  if (q.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (q.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(q.body_length));
  } else if (q.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, q.body != nullptr ? q.body : "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body_length));
  } else if (q.method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

S3Client::S3Client(S3Config config, asio::thread_pool& pool)
    : config_(std::move(config)), pool_(pool) {
  random_ =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1U;
}

S3Client::~S3Client() {
  for (void* handle : idle_) {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

Result<std::unique_ptr<S3Client>> S3Client::create(S3Config config, asio::thread_pool& pool) {
  while (config.endpoint.ends_with("/")) {
    config.endpoint.pop_back();
  }
  if (!config.endpoint.starts_with("http://") && !config.endpoint.starts_with("https://")) {
    return make_error(Errc::kBadRequest, "S3 endpoint must start with http:// or https://");
  }
  if (config.bucket.empty() || config.bucket.size() > 63 ||
      config.bucket.find('/') != std::string::npos) {
    return make_error(Errc::kBadRequest, "S3 bucket name must be 1 to 63 characters, no '/'");
  }
  if (config.access_key.empty() || config.secret_key.empty()) {
    return make_error(Errc::kBadRequest, "S3 access key and secret key are both needed");
  }
  if (config.attempts < 1) {
    config.attempts = 1;
  }
  std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::unique_ptr<S3Client>(new S3Client(std::move(config), pool));
}

void* S3Client::take_handle() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  CURL* curl = curl_easy_init();
  SFS_CHECK(curl != nullptr);  // out of memory
  return curl;
}

void S3Client::return_handle(void* handle) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

std::chrono::milliseconds S3Client::backoff_before(int attempt) {
  auto wait = config_.backoff * (1LL << std::min(attempt - 1, 20));
  wait = std::min<std::chrono::milliseconds>(wait, config_.max_backoff);
  std::uint64_t r = 0;
  {
    std::lock_guard lock(mutex_);  // xorshift64: jitter, not secrets
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    r = random_;
  }
  // Between half and all of it, so clients that failed together spread out.
  auto half = wait.count() / 2;
  return std::chrono::milliseconds(half + static_cast<long long>(r % (half + 1)));
}

// One attempt, on a pool thread: curl blocks here.
S3Client::Response S3Client::perform(const Request& q) {
  Response r;
  auto* curl = static_cast<CURL*>(take_handle());
  curl_easy_reset(curl);  // keeps the handle's connections
  Transfer t{&q, &r, curl};
  char error[CURL_ERROR_SIZE] = {};
  const std::string url = url_of(config_, q);
  const std::string sigv4 = "aws:amz:" + config_.region + ":s3";
  std::unique_ptr<curl_slist, SlistFree> headers(
      curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
  // No "Expect:" to drop 100-continue: curl 7.88 signs an emptied header
  // that it then does not send, and RGW refuses the signature.
  for (const std::string& h : q.headers) {
    curl_slist_append(headers.get(), h.c_str());
  }
  const std::vector<std::string> signature = own_signature(config_, q, url);
  for (const std::string& h : signature) {
    curl_slist_append(headers.get(), h.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (signature.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.access_key.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.secret_key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, config_.min_bytes_per_second);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kLowSpeedSeconds);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &t);
  set_method(curl, q);
  r.curl = curl_easy_perform(curl);
  r.curl_error = error;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // `error` is about to go
  return_handle(curl);
  return r;
}

awaitable<Result<S3Client::Response>> S3Client::send(std::shared_ptr<Request> request) {
  for (int attempt = 1;; ++attempt) {
    requests_sent_.fetch_add(1, std::memory_order_relaxed);
    auto work = [this, request] { return perform(*request); };
    Response r = co_await run_blocking(pool_, std::move(work));
    if (answered(*request, r)) {
      co_return r;
    }
    if (!retryable(r) || attempt >= config_.attempts) {
      co_return to_error(*request, r, attempt);
    }
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    timer.expires_after(backoff_before(attempt));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

namespace {

std::shared_ptr<S3Client::Request> request(std::string method, std::string key) {
  auto q = std::make_shared<S3Client::Request>();
  q->method = std::move(method);
  q->key = std::move(key);
  return q;
}

void set_body(S3Client::Request& q, std::string body) {
  q.owned_body = std::move(body);
  q.body = q.owned_body.data();
  q.body_length = q.owned_body.size();
}

Result<std::string> etag_of(const S3Client::Request& q, const S3Client::Response& r) {
  std::string etag = r.header("etag");
  if (etag.empty()) {
    return make_error(Errc::kIo, "bad S3 reply: " + operation(q) + " without an ETag");
  }
  return etag;
}

// The first byte a 206 reply's "Content-Range: bytes FIRST-LAST/SIZE" holds.
std::optional<std::uint64_t> range_start(const std::string& content_range) {
  std::string_view v(content_range);
  if (!v.starts_with("bytes ")) {
    return std::nullopt;
  }
  v.remove_prefix(6);
  std::uint64_t first = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), first);
  if (ec != std::errc() || end == v.data() + v.size() || *end != '-') {
    return std::nullopt;
  }
  return first;
}

Result<std::uint64_t> to_size(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return make_error(Errc::kIo, "bad S3 reply: Content-Length '" + one_line(text) + "'");
  }
  return value;
}

Result<ObjectInfo> object_info(const S3Client::Response& r) {
  ObjectInfo info;
  SFS_ASSIGN_OR_RETURN(info.size, to_size(r.header("content-length")));
  info.etag = r.header("etag");
  const std::string modified = r.header("last-modified");
  time_t when = curl_getdate(modified.c_str(), nullptr);
  info.mtime = when < 0 ? 0 : static_cast<std::int64_t>(when);
  const std::string date = r.header("date");
  when = curl_getdate(date.c_str(), nullptr);
  info.answered_at = when < 0 ? 0 : static_cast<std::int64_t>(when);
  constexpr std::string_view kMeta = "x-amz-meta-";
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with(kMeta)) {
      info.metadata[name.substr(kMeta.size())] = value;
    }
  }
  return info;
}

}  // namespace

awaitable<Result<void>> S3Client::head_bucket() {
  auto q = request("HEAD", "");
  SFS_CO_RETURN_IF_ERROR(co_await send(q));
  co_return Result<void>{};
}

awaitable<Result<void>> S3Client::create_bucket() {
  auto q = request("PUT", "");
  SFS_CO_RETURN_IF_ERROR(co_await send(q));
  co_return Result<void>{};
}

awaitable<Result<std::string>> S3Client::put_object(std::string key, const char* data,
                                                    std::size_t length, Metadata metadata) {
  SFS_CO_RETURN_IF_ERROR(check_metadata(metadata));
  auto q = request("PUT", std::move(key));
  add_metadata(*q, metadata);
  q->body = data;
  q->body_length = length;
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return etag_of(*q, r);
}

awaitable<Result<std::size_t>> S3Client::get_object(std::string key, char* data, std::size_t length,
                                                    std::uint64_t offset, std::string if_match) {
  if (length == 0) {
    co_return std::size_t{0};
  }
  auto q = request("GET", std::move(key));
  q->headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                       std::to_string(offset + length - 1));
  q->sink = data;
  q->sink_capacity = length;
  q->also_ok = {416};  // the range starts at or past the end
  if (!if_match.empty()) {
    q->headers.push_back("If-Match: " + if_match);
    q->also_ok.push_back(412);
  }
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  if (r.status == 416) {
    co_return std::size_t{0};
  }
  if (r.status == 412) {
    co_return make_error(Errc::kIo, operation(*q) + ": the object changed since it was opened");
  }
  bool whole = r.status == 200 && offset == 0;
  if (!whole && (r.status != 206 || range_start(r.header("content-range")) != offset)) {
    co_return make_error(Errc::kIo, "bad S3 reply: " + operation(*q) + " answered " +
                                        std::to_string(r.status) + " to a ranged read");
  }
  co_return r.sunk;
}

awaitable<Result<ObjectInfo>> S3Client::head_object(std::string key) {
  auto q = request("HEAD", std::move(key));
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return object_info(r);
}

awaitable<Result<void>> S3Client::delete_object(std::string key) {
  auto q = request("DELETE", std::move(key));
  q->also_ok = {404};
  SFS_CO_RETURN_IF_ERROR(co_await send(q));
  co_return Result<void>{};
}

awaitable<Result<ListPage>> S3Client::list_objects(std::string prefix, std::string delimiter,
                                                   std::string token, int max_keys) {
  auto q = request("GET", "");
  q->query = {{"list-type", "2"},
              {"prefix", std::move(prefix)},
              {"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))}};
  if (!delimiter.empty()) {
    q->query.emplace_back("delimiter", std::move(delimiter));
  }
  if (!token.empty()) {
    q->query.emplace_back("continuation-token", std::move(token));
  }
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_list_objects(r.body);
}

awaitable<Result<std::string>> S3Client::copy_object(std::string from, std::string to,
                                                     std::optional<Metadata> metadata) {
  auto q = request("PUT", std::move(to));
  q->headers.push_back("x-amz-copy-source: /" + uri_encode(config_.bucket, false) + "/" +
                       uri_encode(from, true));
  if (metadata) {
    SFS_CO_RETURN_IF_ERROR(check_metadata(*metadata));
    q->headers.emplace_back("x-amz-metadata-directive: REPLACE");
    add_metadata(*q, *metadata);
  }
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_etag_result(r.body);
}

awaitable<Result<std::string>> S3Client::create_multipart(std::string key, Metadata metadata) {
  SFS_CO_RETURN_IF_ERROR(check_metadata(metadata));
  auto q = request("POST", std::move(key));
  q->query = {{"uploads", ""}};
  q->headers.emplace_back("Content-Type: application/octet-stream");  // the object's, later
  add_metadata(*q, metadata);
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_upload_id(r.body);
}

awaitable<Result<std::string>> S3Client::upload_part(std::string key, std::string upload_id,
                                                     int number, const char* data,
                                                     std::size_t length) {
  if (number < 1 || number > kMaxPartNumber) {
    co_return make_error(Errc::kTooLarge, "S3 part number " + std::to_string(number) +
                                              " is outside 1.." + std::to_string(kMaxPartNumber));
  }
  auto q = request("PUT", std::move(key));
  q->query = {{"partNumber", std::to_string(number)}, {"uploadId", std::move(upload_id)}};
  q->body = data;
  q->body_length = length;
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return etag_of(*q, r);
}

awaitable<Result<std::string>> S3Client::upload_part_copy(std::string key, std::string upload_id,
                                                          int number, std::string from,
                                                          std::uint64_t first, std::uint64_t last,
                                                          std::string if_match) {
  if (number < 1 || number > kMaxPartNumber || last < first) {
    co_return make_error(Errc::kTooLarge, "S3 part copy " + std::to_string(number) +
                                              " is outside 1.." + std::to_string(kMaxPartNumber));
  }
  auto q = request("PUT", std::move(key));
  q->query = {{"partNumber", std::to_string(number)}, {"uploadId", std::move(upload_id)}};
  q->headers.push_back("x-amz-copy-source: /" + uri_encode(config_.bucket, false) + "/" +
                       uri_encode(from, true));
  q->headers.push_back("x-amz-copy-source-range: bytes=" + std::to_string(first) + "-" +
                       std::to_string(last));
  q->headers.push_back("x-amz-copy-source-if-match: " + if_match);
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_etag_result(r.body);
}

awaitable<Result<PartsPage>> S3Client::list_parts(std::string key, std::string upload_id,
                                                  int marker) {
  auto q = request("GET", std::move(key));
  q->query = {{"uploadId", std::move(upload_id)}, {"max-parts", "1000"}};
  if (marker > 0) {
    q->query.emplace_back("part-number-marker", std::to_string(marker));
  }
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_list_parts(r.body);
}

awaitable<Result<std::string>> S3Client::complete_multipart(std::string key, std::string upload_id,
                                                            std::vector<PartEntry> parts) {
  auto q = request("POST", std::move(key));
  q->query = {{"uploadId", std::move(upload_id)}};
  q->headers.emplace_back("Content-Type: application/xml");
  set_body(*q, complete_multipart_body(parts));
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_etag_result(r.body);
}

awaitable<Result<void>> S3Client::abort_multipart(std::string key, std::string upload_id) {
  auto q = request("DELETE", std::move(key));
  q->query = {{"uploadId", std::move(upload_id)}};
  SFS_CO_RETURN_IF_ERROR(co_await send(q));
  co_return Result<void>{};
}

awaitable<Result<UploadsPage>> S3Client::list_multipart_uploads(std::string prefix,
                                                                std::string key_marker,
                                                                std::string upload_id_marker) {
  auto q = request("GET", "");
  q->query = {{"uploads", ""}, {"prefix", std::move(prefix)}, {"max-uploads", "1000"}};
  if (!key_marker.empty()) {
    q->query.emplace_back("key-marker", std::move(key_marker));
    if (!upload_id_marker.empty()) {
      q->query.emplace_back("upload-id-marker", std::move(upload_id_marker));
    }
  }
  SFS_CO_ASSIGN_OR_RETURN(Response r, co_await send(q));
  co_return parse_list_uploads(r.body);
}

}  // namespace sfs::storage::s3
