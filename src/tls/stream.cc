#include "tls/stream.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace sfs::tls {

namespace {

// A close_notify alert: warning (1), close_notify (0).
constexpr std::array<char, 2> kCloseNotify = {1, 0};

// Parses "LABEL <client random> <secret hex>" into `secret` when LABEL is
// `label`.
bool read_secret(std::string_view line, std::string_view label, Secret& secret) {
  if (line.substr(0, label.size()) != label || line.size() <= label.size() ||
      line[label.size()] != ' ') {
    return false;
  }
  const std::size_t space = line.rfind(' ');
  const std::string_view hex = line.substr(space + 1);
  if (hex.size() % 2 != 0 || hex.size() / 2 > secret.bytes.size()) {
    return false;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    secret.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  secret.length = hex.size() / 2;
  return true;
}

}  // namespace

// The BIO under each SSL: recv() on the stream's socket, whatever descriptor
// it has right now (none once closed); writes go to the stream's out_.
struct SocketBio {
  static Stream& stream_of(BIO* bio) { return *static_cast<Stream*>(BIO_get_data(bio)); }

  // Collects records; Stream::drive sends them. Full: "retry", so that
  // OpenSSL's call returns and the records already collected go out first.
  static int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    Stream& stream = stream_of(bio);
    const auto n = static_cast<std::size_t>(size);
    if (stream.out_size_ > 0 && stream.out_size_ + n > Stream::kMaxPendingBytes) {
      BIO_set_retry_write(bio);
      return -1;
    }
    std::memcpy(stream.out_room(n), data, n);
    stream.out_size_ += n;
    return size;
  }

  static int read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    Stream& stream = stream_of(bio);
    const int fd = stream.socket_.native_handle();
    if (fd < 0) {
      stream.last_errno_ = EBADF;
      return -1;
    }
    const ssize_t n = ::recv(fd, data, static_cast<std::size_t>(size), 0);
    if (n >= 0) {
      return static_cast<int>(n);  // 0: the peer closed the connection
    }
    if (Stream::retryable(errno)) {
      BIO_set_retry_read(bio);
    } else {
      stream.last_errno_ = errno;
    }
    return -1;
  }

  static long ctrl(BIO*, int command, long, void*) {  // NOLINT(google-runtime-int): OpenSSL's type
    return command == BIO_CTRL_FLUSH ? 1 : 0;
  }

  // One method table for the whole process, made on first use.
  static BIO_METHOD* method() {
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sfs socket");
      if (m == nullptr || BIO_meth_set_write(m, &SocketBio::write) != 1 ||
          BIO_meth_set_read(m, &SocketBio::read) != 1 ||
          BIO_meth_set_ctrl(m, &SocketBio::ctrl) != 1) {
        std::abort();  // out of memory at start-up
      }
      return m;
    }();
    return kMethod;
  }
};

Stream::Stream(tcp::socket socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  BIO* bio = BIO_new(SocketBio::method());
  if (ssl_ == nullptr || bio == nullptr) {
    std::abort();  // out of memory
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);   // the SSL owns the BIO now
  SSL_set_app_data(ssl_, this);  // for key_log
}

Stream::~Stream() {
  SSL_free(ssl_);
  forget_secrets();
}

void Stream::forget_secrets() {
  OPENSSL_cleanse(client_secret_.bytes.data(), client_secret_.bytes.size());
  OPENSSL_cleanse(server_secret_.bytes.data(), server_secret_.bytes.size());
  client_secret_.length = server_secret_.length = 0;
}

void Stream::issue_session_tickets(std::size_t count) {
  SSL_set_num_tickets(ssl_, count);
  if (count == 0) {
    return;
  }
  SSL_set_msg_callback(ssl_, [](int write_p, int /*version*/, int content_type, const void* buf,
                                std::size_t len, SSL* ssl, void* /*arg*/) {
    auto* stream = static_cast<Stream*>(SSL_get_app_data(ssl));
    if (stream != nullptr && write_p == 1 && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        *static_cast<const std::uint8_t*>(buf) == SSL3_MT_NEWSESSION_TICKET) {
      ++stream->tickets_sent_;
    }
  });
}

void Stream::key_log(const SSL* ssl, const char* line) {
  auto* stream = static_cast<Stream*>(SSL_get_app_data(ssl));
  if (stream == nullptr || line == nullptr) {
    return;
  }
  const std::string_view text(line);
  if (!read_secret(text, "CLIENT_TRAFFIC_SECRET_0", stream->client_secret_)) {
    (void)read_secret(text, "SERVER_TRAFFIC_SECRET_0", stream->server_secret_);
  }
}

char* Stream::out_room(std::size_t n) {
  if (out_capacity_ - out_size_ < n) {
    const std::size_t capacity = std::max(out_size_ + n, 2 * out_capacity_);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (out_size_ > 0) {
      std::memcpy(grown.get(), out_.get(), out_size_);
    }
    out_ = std::move(grown);
    out_capacity_ = capacity;
  }
  return out_.get() + out_size_;
}

boost::system::error_code Stream::error_of(int ret) {
  const int err = SSL_get_error(ssl_, ret);
  const unsigned long queued = ERR_peek_last_error();  // NOLINT(google-runtime-int)
  ERR_clear_error();
  if (err == SSL_ERROR_ZERO_RETURN) {
    return asio::error::eof;
  }
  if (err == SSL_ERROR_SSL && ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return asio::ssl::error::stream_truncated;
  }
  if (err == SSL_ERROR_SSL) {
    return {static_cast<int>(queued), asio::error::get_ssl_category()};
  }
  if (err == SSL_ERROR_SYSCALL && last_errno_ != 0) {
    if (!socket_.is_open()) {
      return asio::error::operation_aborted;
    }
    return {last_errno_, boost::system::system_category()};
  }
  return asio::ssl::error::stream_truncated;  // EOF without close_notify
}

template <typename Op>
awaitable<int> Stream::drive(Op op, boost::system::error_code& ec) {
  while (true) {
    ERR_clear_error();  // the error queue is per thread; the coroutine may move
    last_errno_ = 0;
    const int ret = op();
    // Read OpenSSL's verdict now: its error queue belongs to this thread.
    const int err = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, ret);
    const bool retry = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
    const boost::system::error_code failure =
        err == SSL_ERROR_NONE || retry ? boost::system::error_code() : error_of(ret);
    if (out_size_ > 0) {  // whatever happens next, the peer needs these first
      last_records_ = writing_ && err == SSL_ERROR_NONE;
      co_await flush(ec);
      last_records_ = false;
      if (ec) {
        co_return -1;
      }
    }
    if (err == SSL_ERROR_NONE) {
      co_return ret;
    }
    if (failure) {
      ec = failure;
      co_return ret;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      continue;  // out_ was full and has been sent
    }
    co_await wait_readable(ec);
    if (ec) {
      co_return -1;
    }
  }
}

awaitable<void> Stream::wait_readable(boost::system::error_code& ec) {
  if (idle_) {  // waiting for the peer, maybe for long: hold no buffers meanwhile
    release_buffers();
  }
  read_waiting_ = true;
  co_await socket_.async_wait(tcp::socket::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  read_waiting_ = false;
  if (!ec && !socket_.is_open()) {
    ec = asio::error::operation_aborted;
  }
}

awaitable<void> Stream::flush(boost::system::error_code& ec) {
  std::size_t sent = 0;
  while (sent < out_size_) {
    const int fd = socket_.native_handle();
    if (fd < 0) {
      ec = asio::error::operation_aborted;
      break;
    }
    const ssize_t n = ::send(fd, out_.get() + sent, out_size_ - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      bytes_sent_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (!Stream::retryable(errno)) {
      ec = {errno, boost::system::system_category()};
      break;
    }
    send_waiting_ = last_records_;
    co_await socket_.async_wait(tcp::socket::wait_write,
                                asio::redirect_error(asio::use_awaitable, ec));
    send_waiting_ = false;
    if (!ec && !socket_.is_open()) {
      ec = asio::error::operation_aborted;
    }
    if (ec) {
      break;
    }
  }
  // What left is gone for good: a later flush must not send it twice.
  if (sent > 0 && sent < out_size_) {
    std::memmove(out_.get(), out_.get() + sent, out_size_ - sent);
  }
  out_size_ -= sent;
}

awaitable<void> Stream::handshake(Role role, boost::system::error_code& ec) {
  ec.clear();
  socket_.non_blocking(true, ec);
  if (ec) {
    co_return;
  }
  if (role == Role::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
  // No read-ahead during the handshake: OpenSSL then reads no byte past
  // it, and what follows is the records' own to read.
  SSL_set_read_ahead(ssl_, 0);
  co_await drive([this] { return SSL_do_handshake(ssl_); }, ec);
  if (!ec) {
    take_over_records(role);
  }
  forget_secrets();
}

void Stream::take_over_records(Role role) {
  const Suite suite = suite_named(SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)));
  auto own = std::make_unique<OwnRecords>();
  const bool server = role == Role::kServer;
  if (SSL_version(ssl_) != TLS1_3_VERSION || SSL_has_pending(ssl_) != 0 ||
      !own->reader.init(suite, server ? client_secret_ : server_secret_) ||
      !own->writer.init(suite, server ? server_secret_ : client_secret_, tickets_sent_)) {
    SSL_set_read_ahead(ssl_, 1);  // OpenSSL keeps the records (TLS 1.2)
    return;
  }
  own_ = std::move(own);
  if (SSL_free_buffers(ssl_) != 1) {
    ERR_clear_error();
  }
}

awaitable<std::size_t> Stream::read_some(char* data, std::size_t size,
                                         boost::system::error_code& ec) {
  ec.clear();
  if (own_) {
    co_return co_await read_own(data, size, ec);
  }
  std::size_t got = 0;
  const int ret = co_await drive([&] { return SSL_read_ex(ssl_, data, size, &got); }, ec);
  co_return ret > 0 ? got : 0;
}

awaitable<void> Stream::write(const char* data, std::size_t size, boost::system::error_code& ec) {
  ec.clear();
  if (size == 0) {
    co_return;
  }
  if (own_) {
    co_await write_own(data, size, ec);
    co_return;
  }
  // All of it in one call: its records are collected and sent together. On
  // a retry OpenSSL wants the same arguments again, which it gets.
  std::size_t written = 0;
  writing_ = true;
  co_await drive([&] { return SSL_write_ex(ssl_, data, size, &written); }, ec);
  writing_ = false;
}

awaitable<void> Stream::flush_pending(boost::system::error_code& ec) {
  ec.clear();
  writing_ = true;
  last_records_ = true;
  co_await flush(ec);
  last_records_ = false;
  writing_ = false;
}

bool Stream::interrupt_wait() {
  if (!(read_waiting_ && !writing_) && !send_waiting_) {
    return false;
  }
  boost::system::error_code ec;
  socket_.cancel(ec);  // that wait is the only operation on the socket
  return !ec;
}

void Stream::release_buffers() {
  if (out_size_ == 0) {
    out_.reset();
    out_capacity_ = 0;
  }
  if (own_) {
    if (own_->plain_begin == own_->plain_end && own_->in_begin == own_->in_end) {
      own_->in.reset();
      own_->in_begin = own_->in_end = 0;
      own_->plain_begin = own_->plain_end = 0;
    }
    return;
  }
  if (SSL_free_buffers(ssl_) != 1) {
    ERR_clear_error();  // not empty (a partial record): kept, which is right
  }
}

std::size_t Stream::input_available() {
  boost::system::error_code ec;
  const std::size_t queued = socket_.available(ec);
  const std::size_t held =
      own_ ? (own_->plain_end - own_->plain_begin) + (own_->in_end - own_->in_begin)
           : static_cast<std::size_t>(std::max(SSL_pending(ssl_), 0));
  return held + (ec ? 0 : queued);
}

awaitable<void> Stream::shutdown(boost::system::error_code& ec) {
  ec.clear();
  if (own_) {
    seal(kAlert, kCloseNotify.data(), kCloseNotify.size());
    co_await flush(ec);
    co_return;
  }
  // 0 means "close_notify sent, the peer's not seen yet", which is enough.
  co_await drive([this] { return SSL_shutdown(ssl_) >= 0 ? 1 : -1; }, ec);
}

}  // namespace sfs::tls
