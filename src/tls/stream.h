#pragma once
// A TLS connection over a TCP socket, with OpenSSL reading and writing the
// socket itself.
//
// Why not asio::ssl::stream: it moves every byte through a BIO pair and two
// more fixed 17 KiB vectors per connection (four buffers, about 68 KiB even
// when idle, and two extra copies of each byte in each direction). Here a
// small BIO reads the socket straight into OpenSSL (with read-ahead), and
// collects the records of one write() to send them with one send() instead
// of one per 16 KiB record. An idle connection holds no record buffers (see
// set_idle). The BIO asks the asio socket for its descriptor on every
// call, so once the socket is closed (by a watchdog, say) OpenSSL gets EBADF
// and can never touch a descriptor number the kernel has handed to another
// connection.
//
// Not thread-safe: use one Stream from one strand, one operation at a time.
//
//   tls::Stream s(std::move(socket), ctx);
//   boost::system::error_code ec;
//   co_await s.handshake(tls::Stream::Role::kServer, ec);
//   std::size_t n = co_await s.read_some(buffer, sizeof buffer, ec);
//   co_await s.write(data, size, ec);

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "asio/asio.h"

namespace sfs::tls {

class Stream {
 public:
  enum class Role { kClient, kServer };

  // `context` must outlive the stream.
  Stream(tcp::socket socket, asio::ssl::context& context);
  ~Stream();
  // OpenSSL's BIO points at this object: it cannot move.
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  SSL* native_handle() { return ssl_; }
  // While idle (waiting for the peer's next command), the stream gives its
  // record buffers back whenever it waits: an idle connection holds none.
  // Not while busy, where freeing and allocating them per record would cost.
  void set_idle(bool idle) { idle_ = idle; }
  tcp::socket& socket() { return socket_; }
  using executor_type = tcp::socket::executor_type;
  executor_type get_executor() { return socket_.get_executor(); }

  // Each sets `ec` on failure: asio::error::eof after the peer's
  // close_notify, asio::ssl::error::stream_truncated when the peer vanished
  // without one, an ssl-category code for TLS errors, a system code for
  // socket errors (operation_aborted when the socket was closed meanwhile).
  awaitable<void> handshake(Role role, boost::system::error_code& ec);
  // Returns 1 to `size` bytes, or 0 with `ec` set.
  awaitable<std::size_t> read_some(char* data, std::size_t size, boost::system::error_code& ec);
  // Writes all `size` bytes. An interrupt_wait() while the last of their
  // records wait to be sent ends it with asio::error::operation_aborted:
  // the bytes are taken then (the caller may reuse its buffer), and
  // pending_output() bytes of records wait for flush_pending().
  awaitable<void> write(const char* data, std::size_t size, boost::system::error_code& ec);
  // Sends the records a write left; interrupt_wait() ends it the same way.
  awaitable<void> flush_pending(boost::system::error_code& ec);
  std::size_t pending_output() const { return out_.size(); }
  // Sends close_notify (does not wait for the peer's).
  awaitable<void> shutdown(boost::system::error_code& ec);
  // About how many bytes can be read without waiting: what OpenSSL has
  // decrypted and not handed out, plus the socket's receive queue.
  std::size_t input_available();

  // Bytes sent on the socket so far (TLS records, counted as they leave),
  // for a transfer's rate while a long write is still going.
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  // Ends the wait of a read that waits for the peer's bytes (read_some
  // returns 0 with asio::error::operation_aborted while the socket stays
  // open; nothing was read), or of a write that waits to send its last
  // records (see write). The stream stays usable. Call from the stream's
  // executor. False when neither was waiting.
  bool interrupt_wait();
  // Gives back the record buffers now (as an idle stream does while it
  // waits); OpenSSL keeps its read buffer while it holds part of a record.
  void release_buffers();

 private:
  // Runs `op` (an SSL call returning > 0 on success) until it succeeds,
  // sending what it wrote and waiting for the socket whenever OpenSSL wants
  // it. Returns op's result, or <= 0 with `ec` set.
  template <typename Op>
  awaitable<int> drive(Op op, boost::system::error_code& ec);
  // Sends all of out_.
  awaitable<void> flush(boost::system::error_code& ec);
  boost::system::error_code error_of(int ret);

  friend struct SocketBio;

  tcp::socket socket_;
  SSL* ssl_ = nullptr;
  int last_errno_ = 0;  // the socket error behind the last SSL_ERROR_SYSCALL
  bool idle_ = false;
  // What an interrupt_wait() may end: a read waiting for the peer, the
  // records of a write (or flush_pending) waiting to be sent.
  bool read_waiting_ = false;
  bool writing_ = false;       // in write() or flush_pending()
  bool last_records_ = false;  // flushing the records of a write that is done
  bool send_waiting_ = false;
  std::uint64_t bytes_sent_ = 0;
  std::vector<char> out_;  // records written by OpenSSL, not sent yet
};

}  // namespace sfs::tls
