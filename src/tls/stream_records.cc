// tls::Stream's reading and writing once it has taken the records over
// from OpenSSL (after a TLS 1.3 handshake; see stream.h and records.h).

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "tls/stream.h"

namespace sfs::tls {
namespace {

// The receive buffer: many records per recv(), and room for one whole
// record behind a partial one.
constexpr std::size_t kInBytes = std::size_t{64} * 1024 + kRecordHeaderBytes + kMaxCiphertext;
// A sending key is replaced (KeyUpdate) after this many records, far below
// AES-GCM's limit of 2^24.5 records per key (RFC 8446 §5.5).
constexpr std::uint64_t kRecordsPerKey = std::uint64_t{1} << 23;
// A KeyUpdate message (RFC 8446 §4.6.3): type 24, length 1, not requested.
constexpr std::array<char, 5> kKeyUpdate = {24, 0, 0, 1, 0};

boost::system::error_code protocol_error() {
  return boost::system::errc::make_error_code(boost::system::errc::protocol_error);
}

boost::system::error_code forged_error() {
  // A record that is not authentic: damaged or forged on the way.
  return boost::system::errc::make_error_code(boost::system::errc::bad_message);
}

}  // namespace

void Stream::seal(std::uint8_t type, const char* data, std::size_t n) {
  out_size_ += own_->writer.seal(type, data, n, out_room(sealed_size(n)));
  if (own_->writer.sequence() >= kRecordsPerKey && !seal_key_update()) {  // time for the next key
    std::abort();  // HKDF over a secret we hold: cannot fail short of a broken OpenSSL
  }
}

bool Stream::seal_key_update() {
  out_size_ += own_->writer.seal(kHandshake, kKeyUpdate.data(), kKeyUpdate.size(),
                                 out_room(sealed_size(kKeyUpdate.size())));
  return own_->writer.update();
}

awaitable<void> Stream::write_own(const char* data, std::size_t size,
                                  boost::system::error_code& ec) {
  // Room for the whole write's records, or for a flush's worth of them.
  const std::size_t records = (size + kMaxRecordContent - 1) / kMaxRecordContent;
  const std::size_t sealed = size + records * sealed_size(0);
  (void)out_room(std::min(sealed, kMaxPendingBytes + sealed_size(kMaxRecordContent)));
  writing_ = true;
  std::size_t taken = 0;
  while (taken < size) {
    while (taken < size && out_size_ < kMaxPendingBytes) {
      const std::size_t n = std::min(kMaxRecordContent, size - taken);
      seal(kApplicationData, data + taken, n);
      taken += n;
    }
    last_records_ = taken == size;
    co_await flush(ec);
    last_records_ = false;
    if (ec) {
      break;
    }
  }
  writing_ = false;
}

void Stream::on_control(const Inner& inner, const char* content, boost::system::error_code& ec) {
  if (inner.type == kAlert) {
    // close_notify ends the stream; any other alert is fatal in TLS 1.3.
    if (inner.length == 2 && content[1] == 0) {
      own_->peer_closed = true;
    } else {
      ec = boost::system::errc::make_error_code(boost::system::errc::connection_reset);
    }
    return;
  }
  if (inner.type != kHandshake) {
    ec = protocol_error();
    return;
  }
  auto seen = parse_post_handshake(content, inner.length);
  if (!seen) {
    ec = protocol_error();
    return;
  }
  if (seen->key_update && !own_->reader.update()) {
    ec = protocol_error();
    return;
  }
  // Ours goes out before anything sealed with the next key.
  if (seen->update_requested && !seal_key_update()) {
    ec = protocol_error();
  }
}

std::size_t Stream::open_records(char* data, std::size_t size, boost::system::error_code& ec) {
  OwnRecords& own = *own_;
  std::size_t got = 0;
  while (got < size && own.in_end - own.in_begin >= kRecordHeaderBytes) {
    char* header = own.in.get() + own.in_begin;
    auto length = parse_record_header(header);
    if (!length) {
      ec = protocol_error();
      return 0;
    }
    if (own.in_end - own.in_begin < kRecordHeaderBytes + *length) {
      break;  // the rest of it is still to come
    }
    char* body = header + kRecordHeaderBytes;
    const std::size_t opened = *length - kTagBytes;
    // Straight into the caller's buffer when the record fits, else in place.
    const bool here = size - got >= opened;
    if (!here && got > 0) {
      break;  // what is opened goes out first
    }
    char* plain = here ? data + got : body;
    if (!own.reader.open(header, body, *length, plain)) {
      ec = forged_error();
      return 0;
    }
    own.in_begin += kRecordHeaderBytes + *length;
    auto inner = inner_content(plain, opened);
    if (!inner) {
      ec = protocol_error();
      return 0;
    }
    if (inner->type != kApplicationData) {
      on_control(*inner, plain, ec);
      if (ec || own.peer_closed) {
        return got;
      }
      continue;
    }
    if (here) {
      got += inner->length;
    } else {
      own.plain_begin = static_cast<std::size_t>(body - own.in.get());
      own.plain_end = own.plain_begin + inner->length;
      break;
    }
  }
  return got;
}

long Stream::receive(boost::system::error_code& ec) {  // NOLINT(google-runtime-int)
  OwnRecords& own = *own_;
  if (!own.in) {
    own.in = std::make_unique_for_overwrite<char[]>(kInBytes);
    own.in_begin = own.in_end = 0;
  }
  if (own.in_begin > 0) {  // the partial record to the front
    std::memmove(own.in.get(), own.in.get() + own.in_begin, own.in_end - own.in_begin);
    own.in_end -= own.in_begin;
    own.in_begin = 0;
  }
  const int fd = socket_.native_handle();
  if (fd < 0) {
    ec = asio::error::operation_aborted;
    return -1;
  }
  const ssize_t n = ::recv(fd, own.in.get() + own.in_end, kInBytes - own.in_end, 0);
  if (n > 0) {
    own.in_end += static_cast<std::size_t>(n);
    return n;
  }
  if (n == 0) {
    ec = asio::ssl::error::stream_truncated;  // EOF without close_notify
    return -1;
  }
  if (retryable(errno)) {
    return 0;
  }
  ec = {errno, boost::system::system_category()};
  return -1;
}

awaitable<std::size_t> Stream::read_own(char* data, std::size_t size,
                                        boost::system::error_code& ec) {
  while (true) {
    OwnRecords& own = *own_;
    if (own.plain_begin < own.plain_end) {
      const std::size_t n = std::min(size, own.plain_end - own.plain_begin);
      std::memcpy(data, own.in.get() + own.plain_begin, n);
      own.plain_begin += n;
      co_return n;
    }
    const std::size_t got = open_records(data, size, ec);
    if (out_size_ > 0 && !ec) {  // our KeyUpdate answer
      co_await flush(ec);
    }
    if (got > 0 || ec) {
      co_return ec ? 0 : got;
    }
    if (own.plain_begin < own.plain_end) {
      continue;
    }
    if (own.peer_closed) {
      ec = asio::error::eof;
      co_return 0;
    }
    const auto n = receive(ec);
    if (n < 0) {
      co_return 0;
    }
    if (n == 0) {
      co_await wait_readable(ec);
      if (ec) {
        co_return 0;
      }
    }
  }
}

}  // namespace sfs::tls
