#include "wire/channel.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace sfs::wire {
namespace {

constexpr std::size_t kReadChunk = 16384;  // one TLS record

}  // namespace

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
    if (auto sent = co_await flush_before_waiting(1); !sent) {
      co_return sent.error();
    }
    auto n = co_await read_within_deadline(in_.data() + end_, in_.size() - end_);
    if (!n) {
      co_return n.error();
    }
    end_ += *n;
  }
}

std::size_t Channel::take_buffered(char* data, std::size_t max) {
  const std::size_t buffered = std::min(max, end_ - begin_);
  if (buffered > 0) {
    std::memcpy(data, in_.data() + begin_, buffered);
    begin_ += buffered;
  }
  shrink_drained();
  return buffered;
}

void Channel::shrink_drained() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (in_.capacity() > 4 * kReadChunk) {
      std::vector<char>().swap(in_);  // an idle connection keeps no big buffer
    }
  }
}

void Channel::release_buffers() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    std::vector<char>().swap(in_);
  }
  net::Connection::release_buffers();
}

awaitable<Result<void>> Channel::read_exact(char* data, std::size_t length) {
  set_io_deadline();
  const std::size_t buffered = take_buffered(data, length);
  if (buffered == length) {
    co_return Result<void>{};
  }
  if (auto sent = co_await flush_before_waiting(length - buffered); !sent) {
    co_return sent;
  }
  auto rest = co_await net::Connection::read_exact(data + buffered, length - buffered);
  co_return rest;
}

awaitable<Result<std::size_t>> Channel::read_some(char* data, std::size_t max) {
  if (begin_ < end_) {
    set_io_deadline();
    co_return take_buffered(data, max);
  }
  if (auto sent = co_await flush_before_waiting(1); !sent) {
    co_return sent.error();
  }
  auto n = co_await net::Connection::read_some(data, max);
  co_return n;
}

awaitable<Result<void>> Channel::write_soon(std::string_view text) {
  held_ += text;
  if (held_.size() > kHeldReplyBytes) {
    co_return co_await flush_soon();
  }
  co_return Result<void>{};
}

awaitable<Result<void>> Channel::flush_soon() {
  if (held_.empty()) {
    co_return Result<void>{};
  }
  const std::string held = std::exchange(held_, {});
  co_return co_await net::Connection::write(held.data(), held.size());
}

awaitable<Result<void>> Channel::flush_before_waiting(std::size_t wanted) {
  // What the peer sent that is here already (decrypted, or still in the
  // socket) is read without waiting for it; past that it may be waiting
  // for the held replies.
  if (held_.empty() || net::Connection::input_available() >= wanted) {
    co_return Result<void>{};
  }
  co_return co_await flush_soon();
}

awaitable<Result<void>> Channel::write(const char* data, std::size_t length) {
  if (held_.empty()) {
    co_return co_await net::Connection::write(data, length);
  }
  held_.append(data, length);  // one record and one send for all
  co_return co_await flush_soon();
}

awaitable<Result<bool>> Channel::send(const char* data, std::size_t length) {
  if (auto sent = co_await flush_soon(); !sent) {
    co_return sent.error();
  }
  co_return co_await net::Connection::send(data, length);
}

awaitable<void> Channel::shutdown() {
  (void)co_await flush_soon();
  co_await net::Connection::shutdown();
}

}  // namespace sfs::wire
