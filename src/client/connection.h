#pragma once
// A client connection to sfs-server: connect, check the server's identity,
// log in, then run commands. Each call blocks until it is done; inside, one
// Asio coroutine drives the shared protocol core and channel.
//
//   auto conn = Connection::open({.host = "127.0.0.1", .port = 9001, ...});
//   conn->login("alice", password);
//   conn->put("report.pdf", "report.pdf", /*show_progress=*/true);

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "client/local_file.h"
#include "protocol/reply.h"
#include "protocol/request.h"

namespace sfs::wire {
class Channel;
}

namespace sfs::client {

// A failure after which the session cannot go on: the connection is gone,
// or a garbled reply left the stream out of step (what follows cannot be
// told apart). Any other error is one request's own.
inline bool is_connection_failure(const Error& e) {
  return e.code == Errc::kNetwork || e.code == Errc::kProtocol;
}

struct ConnectOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  std::filesystem::path ca_file;        // empty: trust on first use
  bool trust_new = false;               // pin an unknown server without asking
  std::filesystem::path known_servers;  // empty: TrustStore::default_path()
  // After a lost connection, how many times a transfer reconnects before it
  // fails (--retries; 0: never). See Connection::put.
  unsigned retries = 5;
};

// The wait before reconnect attempt `attempt` (from 1): 0.5 s doubling up
// to kMaxBackoff, each shortened by up to a quarter at random (`jitter` in
// [0, 1)), so that clients cut off at once do not all come back at once.
inline constexpr std::chrono::milliseconds kFirstBackoff{500};
inline constexpr std::chrono::milliseconds kMaxBackoff{8000};
inline constexpr unsigned kMaxRetries = 100;
std::chrono::milliseconds backoff_delay(unsigned attempt, double jitter);

class Connection {
 public:
  // Connects, completes TLS, verifies the server (CA file or known_servers)
  // and reads its greeting. Nothing is sent before the server is verified.
  static Result<std::unique_ptr<Connection>> open(const ConnectOptions& options);
  ~Connection();

  // kAuth "login failed: wrong user name or password", or "login refused:
  // <why>" when the server would not check the password yet. When the
  // server holds the check back after repeated failures it says so and
  // this prints "sfs: login delayed N s after repeated failures for this
  // account or address" on stderr before waiting.
  Result<void> login(const std::string& user, const std::string& password);
  // Asks the server to compress data frames both ways (COMPRESS zstd); a
  // frame that does not shrink still goes raw. kBadRequest, with the
  // server's reason, when it does not offer that (the connection goes on
  // uncompressed); kNetwork when the connection failed.
  Result<void> enable_compression();
  bool compressing() const;
  // What the last put, get or view moved: file bytes, and bytes on the wire
  // (frame headers included).
  struct WireTotals {
    std::uint64_t file_bytes = 0;
    std::uint64_t wire_bytes = 0;
  };
  WireTotals last_transfer() const;
  // Both continue an interrupted transfer of the same data when `resume`
  // is set and the other side still holds it (and say so on stderr:
  // "sfs: resuming NAME at 1.1 GiB"); the result is verified by its full
  // digest either way. With `keep_time`, put gives the remote file the local
  // file's modification time; get gives the local file `mtime` when set, or
  // with `ask_time` the remote file's time, from a STAT sent in the same
  // write as the GET (no extra round trip). Ctrl-C under the shell's
  // InterruptGuard (client/interrupt.h) cuts the connection, keeping both
  // sides' partial data, and fails with kNetwork "interrupted at SIZE; run it
  // again to resume" (reconnect() then opens a new one).
  // A connection lost otherwise (kNetwork) is opened again, up to
  // ConnectOptions::retries times with backoff (one line on stderr each:
  // "sfs: connection lost (REASON); reconnecting in 1.0 s (attempt 2 of
  // 5)"), and the transfer resumes there; an error of another kind (a
  // changed server identity, a refused login, an ERR reply) is returned at
  // once. put_small, put_many and get_many do the same.
  Result<void> put(const std::filesystem::path& local, const std::string& remote,
                   bool show_progress, bool resume = true, bool keep_time = true);
  Result<void> get(const std::string& remote, const std::filesystem::path& local,
                   bool show_progress, bool resume = true,
                   std::optional<std::int64_t> mtime = std::nullopt, bool ask_time = false);
  // Files of at most this size go out whole with "PUT ... now", several in
  // flight at once (docs/protocol.md, "Pipelining").
  static constexpr std::uint64_t kSmallFileBytes = 1U << 20;
  // At most this many requests in flight on one connection, and (for GETs,
  // whose answers can be large) at most this many bytes of request lines
  // the server has not answered yet, so the client never blocks writing
  // while the server blocks writing to it.
  static constexpr std::size_t kWindowFiles = 64;
  static constexpr std::size_t kWindowLineBytes = 32U << 10;

  // Uploads a file of at most kSmallFileBytes (read whole) with its size
  // and digest in the PUT, so that the server skips it when it holds the
  // same content: true then ("unchanged"). A server older than this (or one
  // not known to take it yet, for the first) is asked in the two-step form;
  // when it refuses that form, takes_offers() turns false and this fails
  // with kBadRequest: use put() instead. Resuming makes no sense at this size.
  Result<bool> put_small(const std::filesystem::path& local, const std::string& remote,
                         bool keep_time, bool show_progress = false);
  // Whether the server takes PUT with a digest: unknown before the first
  // put_small or put_many on this connection.
  std::optional<bool> takes_offers() const { return offers_; }

  struct PutJob {
    std::filesystem::path local;
    std::string remote;
  };
  struct GetJob {
    std::string remote;
    std::filesystem::path local;
    std::optional<std::int64_t> mtime;  // the local file gets it when set
    // Without `mtime`: ask the server for the file's time (a STAT sent
    // with the GET, as get() with ask_time).
    bool ask_time = false;
  };
  // Called once per job, in order: the file's result (for put_many, true
  // when the server already held the same content and skipped it).
  using PutDone = std::function<void(std::size_t job, const Result<bool>& unchanged)>;
  using GetDone = std::function<void(std::size_t job, const Result<void>& result)>;
  // Uploads the jobs in order on this connection, small files pipelined
  // (up to kWindowFiles in flight); larger ones, all of them on an older
  // server, and all with `force` (the server must not skip any), one at a
  // time as put() sends them. A file's failure goes to `done` and
  // the rest go on; the result is an error only when the connection failed
  // and could not be opened again (the jobs not reported then were not
  // done). After a reconnect (see put) the jobs not reported yet are sent
  // again on the new connection: none is reported twice.
  Result<void> put_many(const std::vector<PutJob>& jobs, bool resume, bool keep_time,
                        const PutDone& done, bool force = false);
  // Downloads the jobs in order, their GETs pipelined within the window;
  // errors as put_many's.
  Result<void> get_many(const std::vector<GetJob>& jobs, bool resume, const GetDone& done);

  // Passes the first `max_bytes` bytes of `remote` to `out`.
  Result<void> view(const std::string& remote, std::uint64_t max_bytes,
                    const std::function<void(const char*, std::size_t)>& out);
  Result<void> remove(const std::string& remote);
  // The entries of the remote directory `remote` (empty: the top).
  Result<std::vector<protocol::Entry>> list(const std::string& remote = {});
  // The entries of each folder of `remotes`, their LISTs pipelined (at most
  // 32 KiB of request lines unanswered, as get_many's GETs): one result per
  // folder, in order, each its own (kNotFound, kNotDir, ...). A lost
  // connection or a garbled reply fails the whole call.
  using Listing = Result<std::vector<protocol::Entry>>;
  Result<std::vector<Listing>> list_many(const std::vector<std::string>& remotes);
  // MKDIR; with `parents`, like mkdir -p.
  Result<void> make_dir(const std::string& remote, bool parents);
  Result<void> remove_dir(const std::string& remote);
  // MOVE; returns the path the entry has now (mv semantics, see protocol.md).
  Result<std::string> move(const std::string& from, const std::string& to);
  // STAT: the entry's name is `remote`.
  Result<protocol::Entry> stat(const std::string& remote);
  // Called with the bytes done of the current put/get instead of drawing
  // that transfer's own progress bar (for one display over many files).
  void set_progress_observer(std::function<void(std::uint64_t)> observer) {
    observer_ = std::move(observer);
  }
  // The digest (hex) the server holds for `remote`.
  Result<std::string> hash(const std::string& remote);
  // Asks the server to re-read every file and compare it with its digest.
  Result<std::vector<protocol::FileStatus>> verify();
  // USAGE: what the user's files take, and the server's limits (0: none).
  struct SpaceUsage {
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;
    std::uint64_t quota_bytes = 0;
    std::uint64_t quota_entries = 0;
    std::uint64_t max_file_bytes = 0;
  };
  Result<SpaceUsage> usage();
  // Says goodbye; errors are ignored.
  void quit();

  // True when the server closed the connection or sent something unasked
  // (between commands it says nothing, so the connection cannot serve the
  // next one): typically its idle timeout (--idle-timeout) passed.
  bool peer_closed();
  // Between commands, after peer_closed(): why the server closed the
  // connection. The error line it sent first (kAuth "session ended: the
  // account was deleted" after an account change), else kNetwork (its idle
  // timeout sends nothing).
  Error closed_reason();
  // Opens the connection again as open() and login() did (the server's
  // identity checked again before the password is sent), and asks for
  // compression again if it was on. The shell uses it to outlive the
  // server's idle timeout and an interrupted transfer; the password stays
  // in memory for this (docs/security.md).
  Result<void> reconnect();
  // reconnect() after the connection was lost between commands, and when
  // that fails with kNetwork, again with put's retries and backoff. The
  // shell uses it.
  Result<void> restore();
  // Whether the last retries ran out (the server stayed away): then
  // restore() would only wait as long again.
  bool gave_up() const { return gave_up_; }

  const std::string& server_name() const { return server_; }

 private:
  explicit Connection(const ConnectOptions& options);

  // Connects, verifies the server and reads its greeting on a new channel.
  Result<void> open_channel();
  // Ends the connection at once (no goodbye; safe inside a transfer's
  // callbacks): the server sees a cut connection and keeps a partial upload
  // for a later resume.
  void cut();
  // kNetwork "interrupted at SIZE; run it again to resume", after cut().
  Error interrupted_at(std::uint64_t done);

  template <typename T>
  Result<T> run(awaitable<Result<T>> operation);
  // Whether a transfer that failed with `error` is tried again on a new
  // connection: a lost connection (kNetwork) not cut by Ctrl-C, retries on.
  bool may_retry(const Error& error) const;
  // After `lost`: waits with backoff and reconnects until that works or
  // `used` reaches the retries (kNetwork "connection lost (...); gave up
  // after N attempts to reconnect"); an error other than kNetwork while
  // reconnecting ends it at once.
  Result<void> retry_connect(const Error& lost, unsigned& used);
  // Runs `attempt` until it succeeds or fails in a way not retried; in
  // between, retry_connect(), all attempts sharing one count.
  template <typename T>
  Result<T> retrying(const std::function<Result<T>()>& attempt);

  awaitable<Result<void>> connect(std::string host, std::uint16_t port);
  Result<void> verify_server(const ConnectOptions& options);
  // The address:port the connection reached ("[::1]:9001" for IPv6), or
  // empty when the socket cannot tell.
  std::string peer_address();
  awaitable<Result<void>> read_greeting();
  awaitable<Result<protocol::Reply>> request(std::string line);
  awaitable<Result<protocol::Reply>> do_login(std::string user, std::string password);
  awaitable<Result<void>> do_put(std::filesystem::path local, std::string remote, bool progress,
                                 bool resume, bool keep_time);
  awaitable<Result<void>> do_get(std::string remote, std::filesystem::path local, bool progress,
                                 bool resume, std::optional<std::int64_t> mtime, bool ask_time);
  // Sends `get` and returns its reply; with `ask_time`, a STAT of the same
  // path goes first in the same write and a file's time lands in `*mtime`.
  awaitable<Result<protocol::Reply>> send_get(std::string line, std::string path, bool ask_time,
                                              std::optional<std::int64_t>* mtime);
  // A file's time from the reply to a STAT sent with a GET, into `*mtime`.
  static void time_of(const protocol::Reply& stat, std::optional<std::int64_t>* mtime);
  // The rest of a GET after its OK line `reply`: the data into `part`,
  // the digest check, the commit.
  awaitable<Result<void>> finish_get(LocalDownload& part, protocol::Reply reply,
                                     std::uint64_t offset, std::string remote,
                                     std::filesystem::path local, bool progress,
                                     std::optional<std::int64_t> mtime);
  // put_small's work: `data` is the whole file, `put` its request with
  // the digest.
  awaitable<Result<bool>> do_put_small(protocol::Put put, std::string data);
  // The reply to a PUT ... now of a file with digest `digest`: true when unchanged.
  awaitable<Result<bool>> read_put_reply(std::string digest);
  awaitable<Result<void>> do_put_many(std::vector<PutJob> jobs, bool resume, bool keep_time,
                                      PutDone done, bool force);
  // One job of put_many, sent; `in_flight` counts what awaits its reply.
  struct InFlightPut {
    std::size_t job;
    std::string digest;
  };
  awaitable<Result<void>> send_one(const PutJob& job, std::size_t index, bool resume,
                                   bool keep_time, bool force, std::deque<InFlightPut>& in_flight,
                                   const PutDone& done);
  // Reads the replies of `in_flight` until at most `keep` remain.
  awaitable<Result<void>> settle_puts(std::deque<InFlightPut>& in_flight, std::size_t keep,
                                      const PutDone& done);
  struct InFlightGet {
    std::size_t job;
    LocalDownload part;
    std::uint64_t offset;
    std::size_t line_bytes;
    bool asked_time;  // a STAT went before the GET
  };
  awaitable<Result<void>> do_get_many(std::vector<GetJob> jobs, bool resume, GetDone done);
  awaitable<Result<void>> settle_gets(const std::vector<GetJob>& jobs,
                                      std::deque<InFlightGet>& in_flight, std::size_t keep_files,
                                      std::size_t keep_bytes, const GetDone& done);
  awaitable<Result<void>> do_view(std::string remote, std::uint64_t max_bytes,
                                  std::function<void(const char*, std::size_t)> out);
  awaitable<Result<std::vector<protocol::Entry>>> do_list(std::string remote);
  awaitable<Result<std::vector<Listing>>> do_list_many(std::vector<std::string> remotes);
  // Sends a request line answered by one "OK" line with `fields` fields.
  Result<protocol::Reply> simple(const std::string& line, std::size_t fields);
  awaitable<Result<std::vector<protocol::FileStatus>>> do_verify();
  // After the server aborted a stream, reads the ERR line that says why.
  awaitable<Error> read_abort_reason();
  // Reads "OK <count>" and then `count` lines, each parsed by `parse`.
  template <typename T>
  awaitable<Result<std::vector<T>>> read_counted(std::string command,
                                                 Result<T> (*parse)(std::string_view));

  asio::io_context io_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::shared_ptr<wire::Channel> channel_;
  std::string server_;  // "host:port", as pinned in known_servers
  ConnectOptions options_;
  std::string user_;      // as logged in, for reconnect()
  std::string password_;  // (the shell keeps its session across idle timeouts)
  std::function<void(std::uint64_t)> observer_;
  std::optional<bool> offers_;  // the server takes PUT with a digest (unknown: not asked yet)
  bool compress_ = false;       // compression was asked for: again after a reconnect
  bool gave_up_ = false;        // the last retry_connect ran out of attempts
};

}  // namespace sfs::client
