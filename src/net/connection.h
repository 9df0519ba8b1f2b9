#pragma once
// Connection: one TLS connection with a deadline on every read and write,
// whatever protocol it carries (the sfs wire layer, wire::Channel, builds
// on it; an HTTP door drives it through async_stream()).
//
// A watchdog closes the socket when the current operation's deadline
// passes, so no peer can hold a coroutine forever.
//
// During a transfer (between begin_transfer and end_transfer; see Transfer)
// the watchdog also ticks about once a second: with a minimum rate set, the
// transfer is held to that rate over io_timeout instead of each read and
// write to io_timeout (so a peer cannot keep a transfer alive with a byte
// now and then), and a read_some or send that waits for a slow peer is
// interrupted so that its caller can give its buffers back while it waits.
//
//   auto c = std::make_shared<Connection>(std::move(socket), tls_context, 60s);
//   c->start_watchdog();
//   co_await c->handshake(tls::Stream::Role::kServer, 10s);
//   co_await c->write("hello\n");
//   c->close();   // always, or the watchdog keeps the connection alive

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "asio/asio.h"
#include "base/result.h"
#include "net/rate_floor.h"
#include "tls/async_stream.h"
#include "tls/stream.h"

namespace sfs::net {

using Clock = std::chrono::steady_clock;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `context` must outlive the connection.
  Connection(tcp::socket socket, asio::ssl::context& context, Clock::duration io_timeout);

  tls::Stream& stream() { return stream_; }
  // The stream for Asio and Beast's algorithms (http::async_read ...).
  // They run under the deadline set last: set one before each.
  tls::AsyncStream async_stream() { return tls::AsyncStream(stream_); }
  Clock::duration io_timeout() const { return io_timeout_; }
  void start_watchdog();
  // Closes the socket and stops the watchdog. Safe to call twice.
  void close();

  // Deadline for everything until the next call: now + `timeout`.
  void set_deadline(Clock::duration timeout);

  // Marks the connection as waiting for the peer's next request (nothing
  // in flight), so a draining server may close it. Call on the
  // connection's executor, like everything else here.
  void set_idle(bool idle) {
    idle_ = idle;
    stream_.set_idle(idle);
  }
  bool idle() const { return idle_; }
  void close_if_idle() {
    if (idle_) {
      close();
    }
  }

  // A transfer moving fewer bytes per second than this, averaged over
  // io_timeout, is ended (kNetwork, "transfer too slow: ..."); 0: no
  // minimum, each read and write of a transfer has io_timeout instead.
  void set_min_rate(std::uint64_t bytes_per_second);

  // Marks the start and the end of a transfer (see above). Use Transfer.
  void begin_transfer();
  void end_transfer();
  bool in_transfer() const { return transfer_; }

  awaitable<Result<void>> handshake(tls::Stream::Role role, Clock::duration timeout);

  // Reads exactly `length` bytes. kNetwork on EOF, error or timeout.
  awaitable<Result<void>> read_exact(char* data, std::size_t length);
  // Reads 1 to `max` bytes. During a transfer it returns 0, having read
  // nothing, when it waited for the peer through a tick that moved little:
  // the peer is slow, and the caller may give its buffers back before it
  // reads again (see send() for writing). kNetwork on EOF, error or timeout.
  awaitable<Result<std::size_t>> read_some(char* data, std::size_t max);
  // Frees the TLS record buffers (when OpenSSL holds no partial record)
  // until they are needed.
  void release_buffers() { stream_.release_buffers(); }
  awaitable<Result<void>> write(const char* data, std::size_t length);
  awaitable<Result<void>> write(std::string_view text) { return write(text.data(), text.size()); }
  // During a transfer: writes all `length` bytes like write(), or returns
  // false when a tick found the peer slow while the last of them waited to
  // be sent: they are taken (the caller may reuse or free its buffer), and
  // finish() sends the rest, returning the same way.
  awaitable<Result<bool>> send(const char* data, std::size_t length);
  awaitable<Result<bool>> finish();

  // Sends close_notify so the peer sees a clean end.
  awaitable<void> shutdown();
  // Ends a connection whose peer may still be sending (a reply that refused
  // a request body before reading it): close_notify, the sending side of
  // the socket shut, then what still arrives is read and dropped, for at
  // most `most_time` and `most_bytes`, before the socket closes. Closed with
  // unread bytes, the kernel would send a reset that can destroy the reply
  // before the peer reads it (nginx's "lingering close").
  awaitable<void> close_lingering(Clock::duration most_time, std::uint64_t most_bytes);

  // OK while the connection is open; else the kNetwork error that a read
  // would return (a timeout, a transfer too slow, a closed socket).
  Result<void> alive();

  // About how many bytes can be read now without waiting for the peer.
  std::size_t input_available() { return stream_.input_available(); }

 protected:
  // One read of 1 to `max` bytes under the deadline already set (for a
  // layer that buffers, such as wire::Channel's lines). kNetwork on EOF,
  // error or timeout.
  awaitable<Result<std::size_t>> read_within_deadline(char* data, std::size_t max);
  // The io_timeout deadline, unless a transfer's rate floor has taken over.
  void set_io_deadline() {
    if (!transfer_ || !floor_.enabled()) {
      set_deadline(io_timeout_);
    }
  }

 private:
  awaitable<void> watch();
  // A transfer's tick: false when it is below the minimum rate.
  bool tick(Clock::time_point now);
  std::uint64_t moved() const { return bytes_read_ + stream_.bytes_sent(); }
  // send() and finish(): true when all went, false when a tick found the
  // peer slow and records wait, else the error.
  Result<bool> sent_or_slow(const boost::system::error_code& ec);
  Error network_error(const boost::system::error_code& ec) const;

  tls::Stream stream_;
  Clock::duration io_timeout_;
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool closed_ = false;
  bool timed_out_ = false;
  bool idle_ = false;

  // Transfers: the rate floor, the ticks, and a read that a tick may end.
  RateFloor floor_;
  bool transfer_ = false;
  bool too_slow_ = false;
  bool interruptible_ = false;  // a read_some or send waits that a tick may end
  bool interrupted_ = false;    // a tick ended it
  Clock::duration tick_;
  Clock::time_point next_tick_ = Clock::time_point::max();
  std::uint64_t tick_moved_ = 0;  // moved() at the last tick
  std::uint64_t bytes_read_ = 0;  // bytes read, all told
};

// Holds a connection in transfer mode for a scope.
class Transfer {
 public:
  explicit Transfer(Connection& connection) : connection_(connection) {
    connection_.begin_transfer();
  }
  ~Transfer() { connection_.end_transfer(); }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

 private:
  Connection& connection_;
};

}  // namespace sfs::net
