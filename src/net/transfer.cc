#include "net/transfer.h"

#include <algorithm>
#include <array>
#include <vector>

#include "net/offload.h"
#include "protocol/frame.h"

namespace sfs::net {
namespace {

using protocol::Frame;
using protocol::kFrameHeaderBytes;

awaitable<Result<void>> send_marker(Channel& channel, std::uint32_t marker) {
  std::array<char, kFrameHeaderBytes> header{};
  protocol::encode_frame_header(marker, header);
  co_return co_await channel.write(header.data(), header.size());
}

}  // namespace

awaitable<Result<void>> send_stream(Channel& channel, std::uint64_t length, const Source& source,
                                    std::uint32_t frame_bytes, const Progress& progress,
                                    const Check& before_end, asio::thread_pool* worker) {
  frame_bytes = std::clamp<std::uint32_t>(frame_bytes, 1, protocol::kMaxFrameBytes);
  const auto capacity = static_cast<std::size_t>(std::min<std::uint64_t>(frame_bytes, length));
  // Two buffers: the source fills one (on the worker) while the other is
  // sent. Header and payload in one buffer, so each frame is one TLS write.
  std::array<std::vector<char>, 2> buffers;
  Offloaded<Result<std::size_t>> next(channel.stream().get_executor());
  auto fetch = [&](std::vector<char>& buffer, std::uint64_t offset) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, length - offset));
    buffer.resize(kFrameHeaderBytes + capacity);
    next.start(worker, [&source, &buffer, want] {
      return source(buffer.data() + kFrameHeaderBytes, want);
    });
  };
  std::uint64_t sent = 0;
  std::size_t current = 0;
  if (length > 0) {
    fetch(buffers[current], 0);
  }
  while (sent < length) {
    auto got = co_await next.wait();
    if (!got || *got == 0) {
      if (auto ok = co_await send_marker(channel, protocol::kAbortFrame); !ok) {
        co_return ok;
      }
      co_return got ? make_error(Errc::kIo, "file shrank while being sent") : got.error();
    }
    std::vector<char>& buffer = buffers[current];
    current ^= 1;
    if (sent + *got < length) {
      fetch(buffers[current], sent + *got);  // read ahead while this frame goes out
    }
    protocol::encode_frame_header(
        static_cast<std::uint32_t>(*got),
        std::span<char, kFrameHeaderBytes>(buffer.data(), kFrameHeaderBytes));
    if (auto ok = co_await channel.write(buffer.data(), kFrameHeaderBytes + *got); !ok) {
      if (next.running()) {
        co_await next.wait();  // the worker still writes into our buffer
      }
      co_return ok;
    }
    sent += *got;
    if (progress) {
      progress(sent);
    }
  }
  if (before_end) {
    if (auto ok = before_end(); !ok) {
      if (auto sent_abort = co_await send_marker(channel, protocol::kAbortFrame); !sent_abort) {
        co_return sent_abort;
      }
      co_return ok;
    }
  }
  co_return co_await send_marker(channel, protocol::kEndFrame);
}

awaitable<Result<void>> receive_stream(Channel& channel, std::uint64_t expected, const Sink& sink,
                                       const Progress& progress, std::uint32_t max_frame_bytes,
                                       asio::thread_pool* worker) {
  // Two buffers: the sink takes one (on the worker) while the next frame is
  // read into the other. One sink call at a time, in order.
  std::array<std::vector<char>, 2> buffers;
  std::size_t current = 0;
  Offloaded<Result<void>> sinking(channel.stream().get_executor());
  bool sink_started = false;
  Result<void> sink_status;  // the sink's verdict on everything handed to it
  std::uint64_t received = 0;
  while (true) {
    std::array<char, kFrameHeaderBytes> header{};
    Result<void> read = co_await channel.read_exact(header.data(), header.size());
    auto frame = read ? protocol::decode_frame_header(header, max_frame_bytes)
                      : Result<protocol::Frame>(read.error());
    if (frame && frame->kind == Frame::Kind::kData && frame->length > expected - received) {
      frame = make_error(Errc::kProtocol, "more data than announced");
    }
    std::vector<char>& buffer = buffers[current];
    if (frame && frame->kind == Frame::Kind::kData) {
      buffer.resize(std::max<std::size_t>(buffer.size(), frame->length));
      read = co_await channel.read_exact(buffer.data(), frame->length);
    }
    if (sink_started) {  // before returning, and before the worker gets more
      sink_started = false;
      sink_status = co_await sinking.wait();
    }
    if (!read) {
      co_return read;
    }
    if (!frame) {
      co_return frame.error();
    }
    if (frame->kind == Frame::Kind::kAbort) {
      co_return make_error(Errc::kAborted, "transfer aborted by peer");
    }
    if (frame->kind == Frame::Kind::kEnd) {
      if (received != expected) {
        co_return make_error(Errc::kProtocol, "transfer ended early");
      }
      co_return sink_status;
    }
    received += frame->length;
    if (sink_status) {
      const std::size_t length = frame->length;
      sinking.start(worker, [&sink, &buffer, length] { return sink(buffer.data(), length); });
      sink_started = true;
      current ^= 1;
    }
    if (progress) {
      progress(received);
    }
  }
}

}  // namespace sfs::net
