#pragma once
// A TLS connection over a TCP socket, with OpenSSL reading and writing the
// socket itself.
//
// Why not asio::ssl::stream: it moves every byte through a BIO pair and two
// more fixed 17 KiB vectors per connection (four buffers, about 68 KiB even
// when idle, and two extra copies of each byte in each direction). Here
// OpenSSL does the handshake over a small BIO that reads the socket, and
// after a TLS 1.3 handshake the stream seals and opens the records itself
// (tls/records.h): straight from the caller's bytes into the send buffer,
// whose records of one write() go out with one send(), and straight from
// the receive buffer (many records per recv()) into the caller's. TLS 1.2
// (--tls12) stays with OpenSSL. An idle connection holds no record buffers
// (see set_idle). The socket's descriptor is asked for on every call, so
// once the socket is closed (by a watchdog, say) a read or send gets EBADF
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

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "asio/asio.h"
#include "tls/records.h"

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
  std::size_t pending_output() const { return out_size_; }
  // Sends close_notify (does not wait for the peer's).
  awaitable<void> shutdown(boost::system::error_code& ec);
  // About how many bytes can be read without waiting: the bytes received
  // and not handed out yet (opened or not; OpenSSL's with TLS 1.2), plus
  // the socket's receive queue.
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
  // waits); a buffer holding part of a record is kept.
  void release_buffers();
  // Whether the stream seals and opens the records itself (after a TLS 1.3
  // handshake), rather than OpenSSL.
  bool own_records() const { return own_ != nullptr; }
  // OpenSSL's key-log callback (set on every context by tls/context.cc):
  // hands the application traffic secrets of a handshake to its stream.
  static void key_log(const SSL* ssl, const char* line);
  // A server stream sends `count` TLS 1.3 session tickets after its
  // handshake (none by default). Call before handshake().
  void issue_session_tickets(std::size_t count);

 private:
  // Runs `op` (an SSL call returning > 0 on success) until it succeeds,
  // sending what it wrote and waiting for the socket whenever OpenSSL wants
  // it. Returns op's result, or <= 0 with `ec` set.
  template <typename Op>
  awaitable<int> drive(Op op, boost::system::error_code& ec);
  // Sends all of out_.
  awaitable<void> flush(boost::system::error_code& ec);
  boost::system::error_code error_of(int ret);
  // Room for `n` more bytes at the end of out_ (out_size_ is not moved).
  char* out_room(std::size_t n);
  // Waits until the socket is readable, giving the buffers back first when
  // idle. Sets `ec` when the wait ends otherwise.
  awaitable<void> wait_readable(boost::system::error_code& ec);

  // Records of one write() collected to go out with one send(): a 256 KiB
  // frame's records and some.
  static constexpr std::size_t kMaxPendingBytes = std::size_t{512} * 1024;
  static bool retryable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

  // The records sealed and opened here (after a TLS 1.3 handshake).
  struct OwnRecords {
    RecordCipher reader;
    RecordCipher writer;
    std::unique_ptr<char[]> in;
    std::size_t in_begin = 0;  // the next record's first byte in `in`
    std::size_t in_end = 0;
    // Application bytes of a record opened in place, not handed out yet.
    std::size_t plain_begin = 0;
    std::size_t plain_end = 0;
    bool peer_closed = false;
  };
  // Takes the records over from OpenSSL when the handshake allows it.
  void take_over_records(Role role);
  awaitable<std::size_t> read_own(char* data, std::size_t size, boost::system::error_code& ec);
  // Opens the whole records in in_ into `data` (or, for a record larger
  // than what is left of `size`, in place for later reads); returns the
  // application bytes opened into `data`.
  std::size_t open_records(char* data, std::size_t size, boost::system::error_code& ec);
  // Acts on a record that is not application data.
  void on_control(const Inner& inner, const char* content, boost::system::error_code& ec);
  // Reads more of the socket into in_: > 0 bytes, 0 to wait, -1 with `ec`.
  long receive(boost::system::error_code& ec);  // NOLINT(google-runtime-int): recv's type
  awaitable<void> write_own(const char* data, std::size_t size, boost::system::error_code& ec);
  // Seals one record of `type` into out_.
  void seal(std::uint8_t type, const char* data, std::size_t n);
  // Seals our KeyUpdate into out_, then seals with the next key; false when
  // that key cannot be derived.
  bool seal_key_update();
  // Wipes the handshake's traffic secrets.
  void forget_secrets();

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
  // Sealed records not sent yet.
  std::unique_ptr<char[]> out_;
  std::size_t out_size_ = 0;
  std::size_t out_capacity_ = 0;
  // The handshake's application traffic secrets, until the records are
  // taken over.
  Secret client_secret_;
  Secret server_secret_;
  // Session tickets OpenSSL sent at the end of the handshake: each one a
  // record sealed with the first application key, so our own records of
  // that key are numbered after them.
  std::uint64_t tickets_sent_ = 0;
  std::unique_ptr<OwnRecords> own_;
};

}  // namespace sfs::tls
