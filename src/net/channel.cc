#include "net/channel.h"

#include <algorithm>
#include <cstring>

namespace sfs::net {
namespace {

constexpr std::size_t kReadChunk = 16384;  // one TLS record

}  // namespace

Channel::Channel(tcp::socket socket, asio::ssl::context& context, Clock::duration io_timeout)
    : stream_(std::move(socket), context),
      io_timeout_(io_timeout),
      timer_(stream_.get_executor()) {}

void Channel::start_watchdog() {
  asio::co_spawn(
      stream_.get_executor(), [self = shared_from_this()] { return self->watch(); },
      asio::detached);
}

awaitable<void> Channel::watch() {
  while (!closed_) {
    timer_.expires_at(deadline_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) {
      break;
    }
    if (deadline_ <= Clock::now()) {
      timed_out_ = true;
      stream_.socket().close(ec);
      break;
    }
  }
}

void Channel::close() {
  closed_ = true;
  timer_.cancel();
  boost::system::error_code ec;
  stream_.socket().close(ec);
}

void Channel::set_deadline(Clock::duration timeout) {
  const Clock::time_point next = Clock::now() + timeout;
  const bool earlier = next < timer_.expiry();
  deadline_ = next;
  if (earlier) {
    timer_.cancel();  // the watchdog re-arms for the earlier deadline
  }
}

Error Channel::network_error(const boost::system::error_code& ec) const {
  if (timed_out_) {
    return make_error(Errc::kNetwork, "connection timed out");
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return make_error(Errc::kNetwork, "connection closed by peer");
  }
  return make_error(Errc::kNetwork, "connection lost: " + ec.message());
}

awaitable<Result<void>> Channel::handshake(tls::Stream::Role role, Clock::duration timeout) {
  set_deadline(timeout);
  boost::system::error_code ec;
  co_await stream_.handshake(role, ec);
  if (ec) {
    if (timed_out_) {
      co_return make_error(Errc::kNetwork, "TLS handshake timed out");
    }
    co_return make_error(Errc::kNetwork, "TLS handshake failed: " + ec.message());
  }
  co_return Result<void>{};
}

awaitable<Result<std::string>> Channel::read_line(std::size_t max_bytes, Clock::duration timeout) {
  set_deadline(timeout);
  std::size_t scanned = begin_;
  while (true) {
    const auto first = in_.begin() + static_cast<std::ptrdiff_t>(scanned);
    const auto last = in_.begin() + static_cast<std::ptrdiff_t>(end_);
    const auto nl = std::find(first, last, '\n');
    if (nl != last) {
      const auto pos = static_cast<std::size_t>(nl - in_.begin());
      if (pos - begin_ + 1 > max_bytes) {  // the limit counts the '\n' too
        co_return make_error(Errc::kProtocol, "line too long");
      }
      std::string line(in_.data() + begin_, pos - begin_);
      begin_ = pos + 1;
      co_return line;
    }
    scanned = end_;
    if (end_ - begin_ >= max_bytes) {
      co_return make_error(Errc::kProtocol, "line too long");
    }
    // Make room: move unread bytes to the front, grow up to the line limit.
    if (begin_ > 0) {
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      scanned -= begin_;
      end_ -= begin_;
      begin_ = 0;
    }
    const std::size_t want = std::min(end_ + kReadChunk, max_bytes + kReadChunk);
    if (in_.size() < want) {
      in_.resize(want);
    }
    boost::system::error_code ec;
    const std::size_t n = co_await stream_.read_some(in_.data() + end_, in_.size() - end_, ec);
    if (ec) {
      co_return network_error(ec);
    }
    end_ += n;
  }
}

awaitable<Result<void>> Channel::read_exact(char* data, std::size_t length) {
  set_deadline(io_timeout_);
  const std::size_t buffered = std::min(length, end_ - begin_);
  std::memcpy(data, in_.data() + begin_, buffered);
  begin_ += buffered;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (in_.capacity() > 4 * kReadChunk) {
      std::vector<char>().swap(in_);  // an idle connection keeps no big buffer
    }
  }
  if (buffered == length) {
    co_return Result<void>{};
  }
  data += buffered;
  length -= buffered;
  while (length > 0) {
    boost::system::error_code ec;
    const std::size_t n = co_await stream_.read_some(data, length, ec);
    if (ec) {
      co_return network_error(ec);
    }
    data += n;
    length -= n;
  }
  co_return Result<void>{};
}

awaitable<Result<void>> Channel::write(const char* data, std::size_t length) {
  set_deadline(io_timeout_);
  boost::system::error_code ec;
  co_await stream_.write(data, length, ec);
  if (ec) {
    co_return network_error(ec);
  }
  co_return Result<void>{};
}

awaitable<void> Channel::shutdown() {
  set_deadline(std::chrono::seconds(2));
  boost::system::error_code ec;
  co_await stream_.shutdown(ec);
}

}  // namespace sfs::net
