#pragma once
// Channel: a net::Connection as the sfs protocol sees it (docs/protocol.md):
// lines read through a small bounded buffer, file data read straight into
// the caller's buffer after the buffered bytes, the compression agreed for
// the connection, and the counts of the last transfer's frames.
//
// Everything else (deadlines, the watchdog, idle and drain, the rate floor,
// the handshake, writing and sending) is the Connection's: a Channel is a
// Connection with the sfs wire on top. Its read_exact, read_some,
// release_buffers and input_available take the line buffer into account,
// and its write, send and shutdown the replies write_soon holds: call them
// on the Channel, never through a net::Connection reference.
//
//   auto ch = std::make_shared<wire::Channel>(std::move(socket), tls_context, 60s);
//   ch->start_watchdog();
//   auto line = co_await ch->read_line(kMaxLineBytes, 300s);
//   co_await ch->write("OK\n");
//   ch->close();   // always, or the watchdog keeps the channel alive

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "net/connection.h"

namespace sfs::wire {

using net::Clock;
using net::Transfer;

// What one send_stream or receive_stream moved: file bytes, and the bytes of
// frames on the wire (headers included), raw or compressed.
struct WireCount {
  std::uint64_t data_bytes = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t raw_frames = 0;
  std::uint64_t compressed_frames = 0;
};

class Channel : public net::Connection {
 public:
  using net::Connection::Connection;

  // Compression agreed for this connection (COMPRESS zstd): send_stream
  // compresses the frames that shrink, receive_stream accepts compressed
  // frames (without it they are a protocol error).
  void set_compression(bool on) { compression_ = on; }
  bool compression() const { return compression_; }
  // The last transfer's counts (reset by send_stream and receive_stream).
  WireCount& wire_count() { return wire_count_; }

  // Reads one line and returns it without its '\n'. kProtocol when it is
  // longer than `max_bytes`; kNetwork on EOF, error or timeout.
  awaitable<Result<std::string>> read_line(std::size_t max_bytes, Clock::duration timeout);
  awaitable<Result<std::string>> read_line(std::size_t max_bytes) {
    return read_line(max_bytes, io_timeout());
  }

  // As net::Connection's, buffered bytes first.
  awaitable<Result<void>> read_exact(char* data, std::size_t length);
  awaitable<Result<std::size_t>> read_some(char* data, std::size_t max);
  // Frees the line buffer (when it holds nothing) and the TLS record
  // buffers (when OpenSSL holds no partial record) until they are needed.
  void release_buffers();

  // A reply that may wait to share one TLS record and one send() with the
  // next ones (pipelined requests already here, docs/protocol.md): it goes
  // with the next write() or send(), or before the next read that has to
  // wait for the peer (which may be waiting for it), or when more than
  // kHeldReplyBytes are held.
  awaitable<Result<void>> write_soon(std::string_view text);
  // Sends what write_soon() holds now.
  awaitable<Result<void>> flush_soon();
  // As net::Connection's, what write_soon() holds first.
  awaitable<Result<void>> write(const char* data, std::size_t length);
  awaitable<Result<void>> write(std::string_view text) { return write(text.data(), text.size()); }
  awaitable<Result<bool>> send(const char* data, std::size_t length);
  awaitable<void> shutdown();
  static constexpr std::size_t kHeldReplyBytes = std::size_t{16} * 1024;
  std::size_t input_available() { return (end_ - begin_) + net::Connection::input_available(); }

 private:
  // Moves the buffered bytes (up to `max`) to `data`; returns their count.
  std::size_t take_buffered(char* data, std::size_t max);
  // Drops the read buffer once it is drained, if it has grown.
  void shrink_drained();
  // Sends the held replies unless `wanted` bytes can be read without
  // waiting for the peer.
  awaitable<Result<void>> flush_before_waiting(std::size_t wanted);

  bool compression_ = false;
  WireCount wire_count_;
  std::string held_;  // write_soon's bytes not sent yet
  // Bytes read from the connection but not consumed yet: [begin_, end_).
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace sfs::wire
