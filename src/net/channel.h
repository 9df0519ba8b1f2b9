#pragma once
// Channel: one TLS connection as the protocol sees it, with a deadline on
// every read and write.
//
// Lines are read through a small bounded buffer; file data is read straight
// into the caller's buffer. A watchdog closes the socket when the current
// operation's deadline passes, so no peer can hold a coroutine forever.
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

  awaitable<Result<void>> handshake(tls::Stream::Role role, Clock::duration timeout);

  // Reads one line and returns it without its '\n'. kProtocol when it is
  // longer than `max_bytes`; kNetwork on EOF, error or timeout.
  awaitable<Result<std::string>> read_line(std::size_t max_bytes, Clock::duration timeout);
  awaitable<Result<std::string>> read_line(std::size_t max_bytes) {
    return read_line(max_bytes, io_timeout_);
  }

  // Reads exactly `length` bytes (buffered bytes first).
  awaitable<Result<void>> read_exact(char* data, std::size_t length);
  awaitable<Result<void>> write(const char* data, std::size_t length);
  awaitable<Result<void>> write(std::string_view text) { return write(text.data(), text.size()); }

  // Sends close_notify so the peer sees a clean end.
  awaitable<void> shutdown();

  // About how many bytes can be read now without waiting for the peer.
  std::size_t input_available() { return (end_ - begin_) + stream_.input_available(); }

 private:
  awaitable<void> watch();
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

  // Bytes read from the stream but not consumed yet: [begin_, end_).
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace sfs::net
