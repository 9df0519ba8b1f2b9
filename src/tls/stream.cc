#include "tls/stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace sfs::tls {

// The BIO under each SSL: send()/recv() on the stream's socket, whatever
// descriptor it has right now (none once closed).
struct SocketBio {
  static Stream& stream_of(BIO* bio) { return *static_cast<Stream*>(BIO_get_data(bio)); }

  static bool retryable(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

  static int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    Stream& stream = stream_of(bio);
    const int fd = stream.socket_.native_handle();
    if (fd < 0) {
      stream.last_errno_ = EBADF;
      return -1;
    }
    const ssize_t n = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) {
      return static_cast<int>(n);
    }
    if (retryable(errno)) {
      BIO_set_retry_write(bio);
    } else {
      stream.last_errno_ = errno;
    }
    return -1;
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
    if (retryable(errno)) {
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
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO now
}

Stream::~Stream() { SSL_free(ssl_); }

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
    if (ret > 0) {
      co_return ret;
    }
    const int err = SSL_get_error(ssl_, ret);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      ec = error_of(ret);
      co_return ret;
    }
    const auto wait =
        err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
    co_await socket_.async_wait(wait, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return -1;
    }
    if (!socket_.is_open()) {
      ec = asio::error::operation_aborted;
      co_return -1;
    }
  }
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
  co_await drive([this] { return SSL_do_handshake(ssl_); }, ec);
}

awaitable<std::size_t> Stream::read_some(char* data, std::size_t size,
                                         boost::system::error_code& ec) {
  ec.clear();
  std::size_t got = 0;
  const int ret = co_await drive([&] { return SSL_read_ex(ssl_, data, size, &got); }, ec);
  co_return ret > 0 ? got : 0;
}

awaitable<void> Stream::write(const char* data, std::size_t size, boost::system::error_code& ec) {
  ec.clear();
  while (size > 0) {
    std::size_t written = 0;  // SSL_MODE_ENABLE_PARTIAL_WRITE: a record or more per call
    const int ret = co_await drive([&] { return SSL_write_ex(ssl_, data, size, &written); }, ec);
    if (ret <= 0) {
      co_return;
    }
    data += written;
    size -= written;
  }
}

awaitable<void> Stream::shutdown(boost::system::error_code& ec) {
  ec.clear();
  // 0 means "close_notify sent, the peer's not seen yet", which is enough.
  co_await drive([this] { return SSL_shutdown(ssl_) >= 0 ? 1 : -1; }, ec);
}

}  // namespace sfs::tls
