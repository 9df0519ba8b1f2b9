// Moving body bytes between HTTP and UserFiles, streaming both ways: never
// a whole file in memory, one piece (kBodyPieceBytes) at a time.

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <utility>

#include "asio/offload.h"
#include "server/http/exchange.h"

namespace sfs::http {
namespace {

// A download moves pieces of 1 MiB (two in flight): each piece is a read
// on the storage pool and a hop back, and those wake-ups, not the bytes,
// took most of a GET's CPU (server context switches per GiB: 64 KiB pieces
// ~90,000, 256 KiB ~23,000, 1 MiB ~7,000).
constexpr std::size_t kSendPieceBytes = std::size_t{1} << 20;
// An upload hands the files bigger pieces still (as the sfs protocol's
// receive buffers grow to): each piece is a write on the transfer pool and
// two thread hand-offs, and at 64 KiB those wake-ups took most of a curl
// PUT's time (0.3x nginx's speed).
constexpr std::size_t kReceivePieceBytes = std::size_t{1} << 20;

Error network(const boost::system::error_code& ec) {
  return make_error(Errc::kNetwork, "connection: " + ec.message());
}

// Caps the connection's read buffer while a body is read, then restores it.
class ChunkLinesCap {
 public:
  ChunkLinesCap(beast::flat_buffer& buffer, std::size_t cap)
      : buffer_(buffer), before_(buffer.max_size()) {
    buffer_.max_size(std::max(cap, buffer_.size()));
  }
  ~ChunkLinesCap() { buffer_.max_size(before_); }
  ChunkLinesCap(const ChunkLinesCap&) = delete;
  ChunkLinesCap& operator=(const ChunkLinesCap&) = delete;

 private:
  beast::flat_buffer& buffer_;
  std::size_t before_;
};

}  // namespace

awaitable<Result<void>> send_file(Exchange& ex, files::Download& file, std::uint64_t length,
                                  bool check) {
  // Two pieces in turn: the storage pool reads the next while this one is
  // sent, so disk and network overlap (one piece at a time, each read then
  // written, left the network idle for every read: 0.8x nginx's GET).
  std::array<net::Buffer, 2> pieces{net::Buffer(&ex.memory, kFreePieceBytes),
                                    net::Buffer(&ex.memory, kFreePieceBytes)};
  // As big as the body needs, up to a piece: the budget counts capacity.
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, kSendPieceBytes));
  for (auto& piece : pieces) {
    piece.grow(kFreePieceBytes, want, 0);  // the free part at least
  }
  Offloaded<Result<std::size_t>> reading(ex.connection.stream().get_executor());
  std::uint64_t asked = 0;  // bytes the reads started so far were asked for
  const auto start_read = [&](net::Buffer& piece) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(length - asked, piece.capacity()));
    asked += want;
    reading.start(file.read(piece.data(), want));
  };
  std::size_t current = 0;
  if (length > 0) {
    start_read(pieces[current]);
  }
  std::uint64_t left = length;
  while (left > 0) {
    auto got = co_await reading.wait();
    if (!got) {
      co_return got.error();
    }
    if (*got == 0 || *got > left) {
      co_return make_error(Errc::kIo, "file ended early");
    }
    left -= *got;
    asked = length - left;  // a short read asks again for the rest
    if (left == 0 && check) {
      if (auto ok = file.check(); !ok) {
        co_return ok;  // the last piece stays here: the client sees a short body
      }
    }
    if (left > 0) {
      start_read(pieces[current ^ 1]);
    }
    ex.connection.set_deadline(ex.settings.io_timeout);
    auto sent = co_await ex.connection.write(pieces[current].data(), *got);
    if (!sent) {
      if (left > 0) {
        (void)co_await reading.wait();  // its buffer lives here
      }
      co_return sent;
    }
    ex.bytes += *got;
    current ^= 1;
  }
  co_return Result<void>{};
}

namespace {

// The upload's writes, one at a time, each while the next piece is read.
class Writer {
 public:
  Writer(Exchange& ex, files::Upload& upload)
      : upload_(upload), writing_(ex.connection.stream().get_executor()) {}

  // Hands `filled` bytes of `piece` to the upload once the write before has
  // ended; returns that write's verdict.
  awaitable<Result<void>> hand_over(net::Buffer& piece, std::size_t filled) {
    auto before = co_await settle();
    if (before && filled > 0) {
      writing_.start(upload_.write(piece.data(), filled));
      pending_ = true;
    }
    co_return before;
  }

  // Waits for the write in flight (its piece must outlive it); its verdict.
  awaitable<Result<void>> settle() {
    if (!std::exchange(pending_, false)) {
      co_return Result<void>{};
    }
    co_return co_await writing_.wait();
  }

 private:
  files::Upload& upload_;
  Offloaded<Result<void>> writing_;
  bool pending_ = false;
};

// A body of known length, read straight from the TLS stream into two pieces
// in turn while the upload writes the other: Beast's parser would copy every
// byte from its buffer, and each of its reads is a hop through the executor
// per TLS record (0.56x nginx's PUT with it). The bytes Beast read past the
// header come first; whatever follows the body stays in the buffer.
awaitable<Result<void>> receive_sized_body(Exchange& ex, files::Upload& upload,
                                           std::uint64_t length) {
  std::array<net::Buffer, 2> pieces{net::Buffer(&ex.memory, kFreePieceBytes),
                                    net::Buffer(&ex.memory, kFreePieceBytes)};
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, kReceivePieceBytes));
  for (auto& piece : pieces) {
    piece.grow(kFreePieceBytes, want, 0);  // the free part at least
  }
  Writer writer(ex, upload);
  std::size_t current = 0;
  std::size_t filled = 0;
  std::uint64_t left = length;
  Result<void> outcome;
  while (left > 0 && outcome) {
    net::Buffer& piece = pieces[current];
    const std::size_t room =
        static_cast<std::size_t>(std::min<std::uint64_t>(left, piece.capacity() - filled));
    std::size_t n = std::min(room, ex.buffer.size());
    if (n > 0) {
      asio::buffer_copy(asio::buffer(piece.data() + filled, n), ex.buffer.data());
      ex.buffer.consume(n);
    } else {
      auto got = co_await ex.connection.read_some(piece.data() + filled, room);
      if (!got) {
        outcome = got.error();
        break;
      }
      n = *got;
    }
    filled += n;
    left -= n;
    ex.bytes += n;
    if (filled == piece.capacity() || left == 0) {
      outcome = co_await writer.hand_over(piece, filled);
      current ^= 1;
      filled = 0;
    }
  }
  auto last = co_await writer.settle();  // always: its piece lives here
  if (outcome) {
    outcome = std::move(last);
  }
  co_return outcome;
}

}  // namespace

awaitable<Result<void>> receive_body(Exchange& ex, files::Upload& upload) {
  if (!ex.parser.chunked()) {
    const std::uint64_t length = ex.parser.content_length().value_or(0);
    if (!upload.streamed() && length > upload.size()) {
      co_return make_error(Errc::kTooLarge, "body longer than the upload");
    }
    co_return co_await receive_sized_body(ex, upload, length);
  }
  bh::request_parser<bh::buffer_body> parser(std::move(ex.parser));
  // A body in chunks has no size to hold it to: the upload admits its
  // bytes as they come (the size limit, the quota).
  parser.body_limit(upload.streamed() ? std::numeric_limits<std::uint64_t>::max() : upload.size());
  // Chunk-size lines and trailers wait whole in the buffer: bounded, so a
  // client cannot hold the others' memory with an endless one.
  const ChunkLinesCap cap(ex.buffer, ex.settings.max_header_bytes + kBodyPieceBytes);
  net::Buffer piece(&ex.memory, kFreePieceBytes);
  piece.grow(kFreePieceBytes, kReceivePieceBytes, 0);  // the free part at least
  // Beast reads into the buffer's free capacity (at least 512 bytes, at
  // most 64 KiB): left as the header made it, that was about 1 KiB per read,
  // and each read's round through the executor cost 9 times the CPU of the
  // bytes (16 s/GiB against nginx's 3 for a curl PUT).
  ex.buffer.reserve(kBodyPieceBytes);
  auto stream = ex.connection.async_stream();
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.capacity();
    ex.connection.set_deadline(ex.settings.io_timeout);
    boost::system::error_code ec;
    co_await bh::async_read(stream, ex.buffer, parser,
                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bh::error::need_buffer) {
      ec = {};
    }
    if (ec == bh::error::buffer_overflow || ec == bh::error::bad_chunk ||
        ec == bh::error::bad_chunk_extension) {
      co_return make_error(Errc::kBadRequest, "malformed or too long chunk line");
    }
    if (ec) {
      co_return network(ec);
    }
    const std::size_t n = piece.capacity() - parser.get().body().size;
    if (n > 0) {
      if (auto ok = co_await upload.write(piece.data(), n); !ok) {
        co_return ok;
      }
      ex.bytes += n;
    }
  }
  co_return Result<void>{};
}

awaitable<Result<std::string>> read_small_body(Exchange& ex) {
  co_return co_await read_body_whole(ex.connection, ex.buffer, ex.parser,
                                     ex.settings.max_xml_body_bytes, ex.settings.io_timeout);
}

awaitable<Result<std::string>> read_body_whole(net::Connection& connection,
                                               beast::flat_buffer& buffer, HeaderParser& header,
                                               std::size_t limit, std::chrono::seconds timeout) {
  // Beast checks a Content-Length against the limit when the header ends,
  // before this parser existed: so here.
  if (header.content_length().value_or(0) > limit) {
    co_return make_error(Errc::kTooLarge, "request body too large");
  }
  bh::request_parser<bh::string_body> parser(std::move(header));
  parser.body_limit(limit);
  connection.set_deadline(timeout);
  boost::system::error_code ec;
  auto stream = connection.async_stream();
  co_await bh::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == bh::error::body_limit) {
    co_return make_error(Errc::kTooLarge, "request body too large");
  }
  if (ec) {
    co_return network(ec);
  }
  co_return std::move(parser.get().body());
}

}  // namespace sfs::http
