#pragma once
// Channel: one TLS connection as the protocol sees it, with a deadline on
// every read and write.
//
// Lines are read through a small bounded buffer; file data is read straight
// into the caller's buffer. A watchdog closes the socket when the current
// operation's deadline passes, so no peer can hold a coroutine forever.
//
// During a transfer (between begin_transfer and end_transfer, which
// send_stream and receive_stream call) the watchdog also ticks about once
// a second: with a minimum rate set, the transfer is held to that rate over
// io_timeout instead of each read and write to io_timeout (so a peer cannot
// keep a transfer alive with a byte now and then), and a read_some or send
// that waits for a slow peer is interrupted so that its caller can give its
// buffers back while it waits.
//
//   auto ch = std::make_shared<Channel>(std::move(socket), tls_context, 60s);
//   ch->start_watchdog();
//   auto line = co_await ch->read_line(kMaxLineBytes, 300s);
//   co_await ch->write("OK\n");
//   ch->close();   // always, or the watchdog keeps the channel alive

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "net/rate_floor.h"
#include "tls/stream.h"

namespace sfs::net {

using Clock = std::chrono::steady_clock;

// What one send_stream or receive_stream moved: file bytes, and the bytes of
// frames on the wire (headers included), raw or compressed.
struct WireCount {
  std::uint64_t data_bytes = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t raw_frames = 0;
  std::uint64_t compressed_frames = 0;
};

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  // `context` must outlive the channel.
  Channel(tcp::socket socket, asio::ssl::context& context, Clock::duration io_timeout);

  tls::Stream& stream() { return stream_; }
  void start_watchdog();
  // Closes the socket and stops the watchdog. Safe to call twice.
  void close();

  // Deadline for everything until the next call: now + `timeout`.
  void set_deadline(Clock::duration timeout);

  // Marks the channel as waiting for the peer's next command (nothing in
  // flight), so a draining server may close it. Call on the channel's
  // executor, like everything else here.
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

  // Compression agreed for this connection (COMPRESS zstd): send_stream
  // compresses the frames that shrink, receive_stream accepts compressed
  // frames (without it they are a protocol error).
  void set_compression(bool on) { compression_ = on; }
  bool compression() const { return compression_; }
  // The last transfer's counts (reset by send_stream and receive_stream).
  WireCount& wire_count() { return wire_count_; }

  // A transfer moving fewer bytes per second than this, averaged over
  // io_timeout, is ended (kNetwork, "transfer too slow: ..."); 0: no
  // minimum, each read and write of a transfer has io_timeout instead.
  void set_min_rate(std::uint64_t bytes_per_second);

  // Marks the start and the end of a transfer (see above). Use Transfer.
  void begin_transfer();
  void end_transfer();

  awaitable<Result<void>> handshake(tls::Stream::Role role, Clock::duration timeout);

  // Reads one line and returns it without its '\n'. kProtocol when it is
  // longer than `max_bytes`; kNetwork on EOF, error or timeout.
  awaitable<Result<std::string>> read_line(std::size_t max_bytes, Clock::duration timeout);
  awaitable<Result<std::string>> read_line(std::size_t max_bytes) {
    return read_line(max_bytes, io_timeout_);
  }

  // Reads exactly `length` bytes (buffered bytes first).
  awaitable<Result<void>> read_exact(char* data, std::size_t length);
  // Reads 1 to `max` bytes (buffered bytes first). During a transfer it
  // returns 0, having read nothing, when it waited for the peer through a
  // tick that moved little: the peer is slow, and the caller may give its
  // buffers back before it reads again (see send() for writing). kNetwork
  // on EOF, error or timeout.
  awaitable<Result<std::size_t>> read_some(char* data, std::size_t max);
  // Frees the read buffer (when it holds nothing) and the TLS record
  // buffers (when OpenSSL holds no partial record) until they are needed.
  void release_buffers();
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

  // OK while the connection is open; else the kNetwork error that a read
  // would return (a timeout, a transfer too slow, a closed socket).
  Result<void> alive();

  // About how many bytes can be read now without waiting for the peer.
  std::size_t input_available() { return (end_ - begin_) + stream_.input_available(); }

 private:
  awaitable<void> watch();
  // A transfer's tick: false when it is below the minimum rate.
  bool tick(Clock::time_point now);
  std::uint64_t moved() const { return bytes_read_ + stream_.bytes_sent(); }
  // Drops the read buffer once it is drained, if it has grown.
  void shrink_drained();
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
  bool compression_ = false;
  WireCount wire_count_;

  // Transfers: the rate floor, the ticks, and a read that a tick may end.
  RateFloor floor_;
  bool transfer_ = false;
  bool too_slow_ = false;
  bool interruptible_ = false;  // a read_some or send waits that a tick may end
  bool interrupted_ = false;    // a tick ended it
  Clock::duration tick_;
  Clock::time_point next_tick_ = Clock::time_point::max();
  std::uint64_t tick_moved_ = 0;  // moved() at the last tick
  std::uint64_t bytes_read_ = 0;  // file and line bytes read, all told

  // Bytes read from the stream but not consumed yet: [begin_, end_).
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// Holds a channel in transfer mode for a scope.
class Transfer {
 public:
  explicit Transfer(Channel& channel) : channel_(channel) { channel_.begin_transfer(); }
  ~Transfer() { channel_.end_transfer(); }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

 private:
  Channel& channel_;
};

}  // namespace sfs::net
