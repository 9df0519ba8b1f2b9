#pragma once
// AsyncStream: a tls::Stream as an Asio AsyncReadStream and AsyncWriteStream
// (executor_type, get_executor, async_read_some, async_write_some with any
// completion token), so that Boost.Beast's http::async_read and
// http::async_write can run over it.
//
// It adds no buffer and no state of its own: each operation runs the
// stream's coroutine member (read_some, write) and hands its result to the
// completion handler on the handler's executor. Deadlines and idle
// behaviour stay where they are: a net::Connection's watchdog closes the
// socket when its deadline passes (the pending operation then fails), and
// Stream::set_idle still gives the record buffers back while a read waits.
//
// Like the Stream: one read and one write at a time at most, from the
// stream's executor; the Stream must outlive the adapter and its operations.
//
//   tls::AsyncStream s(stream);
//   co_await http::async_read(s, buffer, request, asio::use_awaitable);

#include <algorithm>
#include <cstddef>
#include <exception>
#include <utility>
#include <vector>

#include "asio/asio.h"
#include "tls/stream.h"

namespace sfs::tls {

class AsyncStream {
 public:
  using executor_type = Stream::executor_type;
  // A write of several buffers is gathered into one (and so into the same
  // TLS records) up to this many bytes; beyond, the first buffer goes alone.
  static constexpr std::size_t kMaxGatherBytes = std::size_t{64} * 1024;

  explicit AsyncStream(Stream& stream) : stream_(&stream) {}

  executor_type get_executor() { return stream_->get_executor(); }
  Stream& stream() { return *stream_; }

  // Reads 1 or more bytes into the first non-empty buffer (0 bytes and no
  // error when all are empty). Errors as Stream::read_some's.
  template <typename MutableBufferSequence, typename Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, asio::mutable_buffer buffer) {
          start(read(buffer), std::move(handler));
        },
        token, first_buffer<asio::mutable_buffer>(buffers));
  }

  // Writes all bytes of the first non-empty buffer, or of several buffers
  // gathered up to kMaxGatherBytes; completes with that count.
  template <typename ConstBufferSequence, typename Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, asio::const_buffer buffer) {
          start(write(buffer), std::move(handler));
        },
        token, gather(buffers));
  }

 private:
  struct Outcome {
    boost::system::error_code ec;
    std::size_t bytes = 0;
  };

  // The first non-empty buffer of `buffers` as a Buffer (mutable_buffer or
  // const_buffer), or an empty one.
  template <typename Buffer, typename BufferSequence>
  static Buffer first_buffer(const BufferSequence& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      const Buffer buffer(*it);
      if (buffer.size() > 0) {
        return buffer;
      }
    }
    return Buffer();
  }

  // One buffer to write: the first non-empty one when it is alone or large,
  // else the leading buffers copied into gathered_ (whose bytes a write owns
  // until it completes: one write at a time).
  template <typename ConstBufferSequence>
  asio::const_buffer gather(const ConstBufferSequence& buffers) {
    const auto first = first_buffer<asio::const_buffer>(buffers);
    if (first.size() >= kMaxGatherBytes || asio::buffer_size(buffers) == first.size()) {
      return first;
    }
    gathered_.resize(std::min(asio::buffer_size(buffers), kMaxGatherBytes));
    const std::size_t n = asio::buffer_copy(asio::buffer(gathered_), buffers);
    return asio::buffer(gathered_.data(), n);
  }

  awaitable<Outcome> read(asio::mutable_buffer buffer) {
    Outcome out;
    if (buffer.size() > 0) {
      out.bytes =
          co_await stream_->read_some(static_cast<char*>(buffer.data()), buffer.size(), out.ec);
    }
    co_return out;
  }

  awaitable<Outcome> write(asio::const_buffer buffer) {
    Outcome out;
    co_await stream_->write(static_cast<const char*>(buffer.data()), buffer.size(), out.ec);
    if (!out.ec) {
      out.bytes = buffer.size();
    }
    co_return out;
  }

  // Runs `op` on the stream's executor (never inside the initiating call),
  // then calls `handler` on its own associated executor, keeping that
  // executor busy until then.
  template <typename Handler>
  void start(awaitable<Outcome> op, Handler handler) {
    auto work = asio::make_work_guard(asio::get_associated_executor(handler, get_executor()));
    asio::co_spawn(get_executor(), std::move(op),
                   [handler = std::move(handler), work = std::move(work)](
                       const std::exception_ptr& e, Outcome out) mutable {
                     if (e) {  // only bad_alloc can get here
                       out = {asio::error::no_memory, 0};
                     }
                     auto executor = work.get_executor();
                     asio::dispatch(executor, [handler = std::move(handler), out]() mutable {
                       std::move(handler)(out.ec, out.bytes);
                     });
                     work.reset();
                   });
  }

  Stream* stream_;
  std::vector<char> gathered_;
};

}  // namespace sfs::tls
