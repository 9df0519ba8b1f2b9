#include "net/transfer.h"

#include <algorithm>
#include <array>
#include <vector>

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
                                    const Check& before_end) {
  frame_bytes = std::clamp<std::uint32_t>(frame_bytes, 1, protocol::kMaxFrameBytes);
  const auto capacity = static_cast<std::size_t>(std::min<std::uint64_t>(frame_bytes, length));
  // Header and payload in one buffer, so each frame is one TLS write.
  std::vector<char> buffer(kFrameHeaderBytes + capacity);
  std::uint64_t sent = 0;
  while (sent < length) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, length - sent));
    auto got = source(buffer.data() + kFrameHeaderBytes, want);
    if (!got || *got == 0) {
      if (auto ok = co_await send_marker(channel, protocol::kAbortFrame); !ok) {
        co_return ok;
      }
      co_return got ? make_error(Errc::kIo, "file shrank while being sent") : got.error();
    }
    protocol::encode_frame_header(
        static_cast<std::uint32_t>(*got),
        std::span<char, kFrameHeaderBytes>(buffer.data(), kFrameHeaderBytes));
    if (auto ok = co_await channel.write(buffer.data(), kFrameHeaderBytes + *got); !ok) {
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
                                       const Progress& progress, std::uint32_t max_frame_bytes) {
  std::vector<char> buffer;
  std::uint64_t received = 0;
  Result<void> sink_status;
  while (true) {
    std::array<char, kFrameHeaderBytes> header{};
    if (auto ok = co_await channel.read_exact(header.data(), header.size()); !ok) {
      co_return ok;
    }
    auto frame = protocol::decode_frame_header(header, max_frame_bytes);
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
    if (frame->length > expected - received) {
      co_return make_error(Errc::kProtocol, "more data than announced");
    }
    if (buffer.size() < frame->length) {
      buffer.resize(frame->length);
    }
    if (auto ok = co_await channel.read_exact(buffer.data(), frame->length); !ok) {
      co_return ok;
    }
    received += frame->length;
    if (sink_status) {
      sink_status = sink(buffer.data(), frame->length);
    }
    if (progress) {
      progress(received);
    }
  }
}

}  // namespace sfs::net
