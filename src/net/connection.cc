#include "net/connection.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace sfs::net {
namespace {

// A transfer's ticks: at most this far apart (and at most a slot of the
// rate floor), at least kMinTick.
constexpr Clock::duration kMaxTick = std::chrono::seconds(1);
constexpr Clock::duration kMinTick = std::chrono::milliseconds(10);
// A read (or the last records of a write) waiting through a tick in which
// the transfer moved less than this (per second of tick) is interrupted, so
// its caller gives its buffers back: a transfer holds buffers for about
// what it moves in a second.
constexpr std::uint64_t kBusyBytesPerSecond = std::uint64_t{1} << 20;

Clock::duration tick_of(const RateFloor& floor) {
  return std::clamp(floor.slot(), kMinTick, kMaxTick);
}

}  // namespace

Connection::Connection(tcp::socket socket, asio::ssl::context& context, Clock::duration io_timeout)
    : stream_(std::move(socket), context),
      io_timeout_(io_timeout),
      timer_(stream_.get_executor()),
      floor_(0, io_timeout),
      tick_(tick_of(floor_)) {}

void Connection::set_min_rate(std::uint64_t bytes_per_second) {
  floor_ = RateFloor(bytes_per_second, io_timeout_);
  tick_ = tick_of(floor_);
}

void Connection::begin_transfer() {
  const Clock::time_point now = Clock::now();
  transfer_ = true;
  too_slow_ = false;
  tick_moved_ = moved();
  next_tick_ = now + tick_;
  if (floor_.enabled()) {
    floor_.start(now, moved());
    deadline_ = Clock::time_point::max();  // the floor takes over from here
  }
  // The watchdog re-arms for the ticks, unless it wakes before the first
  // anyway (one transfer after another: it is armed for a tick already, and
  // a timer re-armed per small file costs two system calls).
  if (next_tick_ < timer_.expiry()) {
    timer_.cancel();
  }
}

void Connection::end_transfer() {
  transfer_ = false;
  next_tick_ = Clock::time_point::max();
  set_deadline(io_timeout_);
}

bool Connection::tick(Clock::time_point now) {
  const std::uint64_t total = moved();
  if (!floor_.keeps_up(now, total)) {
    return false;
  }
  const auto per_tick = static_cast<std::uint64_t>(kBusyBytesPerSecond *
                                                   std::chrono::duration<double>(tick_).count());
  if (interruptible_ && total - tick_moved_ < per_tick && stream_.interrupt_wait()) {
    interrupted_ = true;
  }
  tick_moved_ = total;
  next_tick_ = now + tick_;
  return true;
}

void Connection::start_watchdog() {
  asio::co_spawn(
      stream_.get_executor(), [self = shared_from_this()] { return self->watch(); },
      asio::detached);
}

awaitable<void> Connection::watch() {
  while (!closed_) {
    timer_.expires_at(transfer_ ? std::min(deadline_, next_tick_) : deadline_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) {
      break;
    }
    const Clock::time_point now = Clock::now();
    if (transfer_ && next_tick_ <= now && !tick(now)) {
      too_slow_ = true;
      timed_out_ = true;
      stream_.socket().close(ec);
      break;
    }
    if (deadline_ <= now) {
      timed_out_ = true;
      stream_.socket().close(ec);
      break;
    }
  }
}

void Connection::close() {
  closed_ = true;
  timer_.cancel();
  boost::system::error_code ec;
  stream_.socket().close(ec);
}

void Connection::set_deadline(Clock::duration timeout) {
  const Clock::time_point next = Clock::now() + timeout;
  const bool earlier = next < timer_.expiry();
  deadline_ = next;
  if (earlier) {
    timer_.cancel();  // the watchdog re-arms for the earlier deadline
  }
}

Error Connection::network_error(const boost::system::error_code& ec) const {
  if (too_slow_) {
    return make_error(
        Errc::kNetwork,
        "transfer too slow: under " + std::to_string(floor_.bytes_per_second()) +
            " bytes/s over the last " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(floor_.window()).count()) +
            " s");
  }
  if (timed_out_) {
    return make_error(Errc::kNetwork, "connection timed out");
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return make_error(Errc::kNetwork, "connection closed by peer");
  }
  return make_error(Errc::kNetwork, "connection lost: " + ec.message());
}

Result<void> Connection::alive() {
  if (closed_ || timed_out_ || !stream_.socket().is_open()) {
    return network_error(asio::error::operation_aborted);
  }
  return {};
}

awaitable<Result<void>> Connection::handshake(tls::Stream::Role role, Clock::duration timeout) {
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

awaitable<Result<std::size_t>> Connection::read_within_deadline(char* data, std::size_t max) {
  boost::system::error_code ec;
  const std::size_t n = co_await stream_.read_some(data, max, ec);
  if (ec) {
    co_return network_error(ec);
  }
  bytes_read_ += n;
  co_return n;
}

awaitable<Result<void>> Connection::read_exact(char* data, std::size_t length) {
  set_io_deadline();
  while (length > 0) {
    SFS_CO_ASSIGN_OR_RETURN(auto n, co_await read_within_deadline(data, length));
    data += n;
    length -= n;
  }
  co_return Result<void>{};
}

awaitable<Result<std::size_t>> Connection::read_some(char* data, std::size_t max) {
  set_io_deadline();
  interruptible_ = transfer_;
  interrupted_ = false;
  boost::system::error_code ec;
  const std::size_t n = co_await stream_.read_some(data, max, ec);
  interruptible_ = false;
  const bool interrupted = std::exchange(interrupted_, false);
  if (ec) {
    if (interrupted && ec == asio::error::operation_aborted && !closed_ && !timed_out_ &&
        stream_.socket().is_open()) {
      co_return std::size_t{0};  // slow: nothing read, the stream goes on
    }
    co_return network_error(ec);
  }
  bytes_read_ += n;
  co_return n;
}

awaitable<Result<void>> Connection::write(const char* data, std::size_t length) {
  set_io_deadline();
  boost::system::error_code ec;
  co_await stream_.write(data, length, ec);
  if (ec) {
    co_return network_error(ec);
  }
  co_return Result<void>{};
}

Result<bool> Connection::sent_or_slow(const boost::system::error_code& ec) {
  const bool interrupted = std::exchange(interrupted_, false);
  if (!ec) {
    return true;
  }
  if (interrupted && ec == asio::error::operation_aborted && !closed_ && !timed_out_ &&
      stream_.socket().is_open() && stream_.pending_output() > 0) {
    return false;  // slow: the bytes are taken, their records wait
  }
  return network_error(ec);
}

awaitable<Result<bool>> Connection::send(const char* data, std::size_t length) {
  set_io_deadline();
  interruptible_ = transfer_;
  interrupted_ = false;
  boost::system::error_code ec;
  co_await stream_.write(data, length, ec);
  interruptible_ = false;
  co_return sent_or_slow(ec);
}

awaitable<Result<bool>> Connection::finish() {
  set_io_deadline();
  interruptible_ = transfer_;
  interrupted_ = false;
  boost::system::error_code ec;
  co_await stream_.flush_pending(ec);
  interruptible_ = false;
  co_return sent_or_slow(ec);
}

awaitable<void> Connection::close_lingering(Clock::duration most_time, std::uint64_t most_bytes) {
  co_await shutdown();
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  set_deadline(most_time);  // the watchdog closes the socket then
  std::array<char, 4096> scratch{};
  std::uint64_t dropped = 0;
  while (!ec && !closed_ && dropped < most_bytes) {
    dropped += co_await stream_.read_some(scratch.data(), scratch.size(), ec);
  }
  close();
}

awaitable<void> Connection::shutdown() {
  set_deadline(std::chrono::seconds(2));
  boost::system::error_code ec;
  co_await stream_.shutdown(ec);
}

}  // namespace sfs::net
