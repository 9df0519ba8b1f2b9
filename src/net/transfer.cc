#include "net/transfer.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "compress/zstd_codec.h"
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

// One frame being prepared: the source's bytes and, when compressing, the
// zstd frame made of them; each with room for the header in front, so that
// a frame is one TLS write.
struct OutSlot {
  std::vector<char> raw;
  std::vector<char> packed;
};

// What the worker made of one piece: `raw` bytes read, and the size of their
// zstd frame, 0 to send them raw.
struct Piece {
  std::size_t raw = 0;
  std::size_t packed = 0;
};

// A received frame in flight: its payload as read, and (compressed) the
// bytes it inflates to.
struct InSlot {
  std::vector<char> wire;
  std::vector<char> raw;
};

// The verdicts of one offloaded frame: a payload that does not inflate is
// the peer's fault (the connection ends), a sink error is ours (it goes on).
struct Sunk {
  Result<void> decoded;
  Result<void> sunk;
};

// At most this much raw payload is gathered before a receiver hands it to
// its worker at once.
constexpr std::size_t kBatchBytes = std::size_t{1} << 20;

void count_frame(WireCount& count, std::size_t raw, std::size_t wire, bool compressed) {
  count.data_bytes += raw;
  count.wire_bytes += kFrameHeaderBytes + wire;
  ++(compressed ? count.compressed_frames : count.raw_frames);
}

}  // namespace

awaitable<Result<void>> send_stream(Channel& channel, std::uint64_t length, const Source& source,
                                    std::uint32_t frame_bytes, const Progress& progress,
                                    const Check& before_end, asio::thread_pool* worker) {
  frame_bytes = std::clamp<std::uint32_t>(frame_bytes, 1, protocol::kMaxFrameBytes);
  const auto capacity = static_cast<std::size_t>(std::min<std::uint64_t>(frame_bytes, length));
  channel.wire_count() = {};
  // One compressor for the whole transfer: its tables are reused by every
  // frame. It runs on the worker with the source, one call at a time.
  std::optional<compress::Compressor> compressor;
  if (channel.compression() && length > 0) {
    compressor.emplace();
  }
  // Two slots: the source fills (and zstd packs) one on the worker while
  // the other is sent.
  std::array<OutSlot, 2> slots;
  Offloaded<Result<Piece>> next(channel.stream().get_executor());
  auto fetch = [&](OutSlot& slot, std::uint64_t offset) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, length - offset));
    slot.raw.resize(kFrameHeaderBytes + capacity);
    compress::Compressor* packer = compressor ? &*compressor : nullptr;
    if (packer != nullptr) {
      slot.packed.resize(kFrameHeaderBytes + capacity);
    }
    next.start(worker, [&source, &slot, want, packer]() -> Result<Piece> {
      auto got = source(slot.raw.data() + kFrameHeaderBytes, want);
      if (!got) {
        return got.error();
      }
      Piece piece{*got, 0};
      if (packer != nullptr) {
        piece.packed = packer->compress(slot.raw.data() + kFrameHeaderBytes, *got,
                                        slot.packed.data() + kFrameHeaderBytes, *got);
      }
      return piece;
    });
  };
  std::uint64_t sent = 0;
  std::size_t current = 0;
  if (length > 0) {
    fetch(slots[current], 0);
  }
  while (sent < length) {
    auto got = co_await next.wait();
    if (!got || got->raw == 0) {
      if (auto ok = co_await send_marker(channel, protocol::kAbortFrame); !ok) {
        co_return ok;
      }
      co_return got ? make_error(Errc::kIo, "file shrank while being sent") : got.error();
    }
    const Piece piece = *got;
    OutSlot& slot = slots[current];
    current ^= 1;
    if (sent + piece.raw < length) {
      fetch(slots[current], sent + piece.raw);  // read ahead while this frame goes out
    }
    const bool packed = piece.packed > 0;
    std::vector<char>& buffer = packed ? slot.packed : slot.raw;
    const std::size_t payload = packed ? piece.packed : piece.raw;
    protocol::encode_frame_header(
        static_cast<std::uint32_t>(payload),
        std::span<char, kFrameHeaderBytes>(buffer.data(), kFrameHeaderBytes), packed);
    if (auto ok = co_await channel.write(buffer.data(), kFrameHeaderBytes + payload); !ok) {
      if (next.running()) {
        co_await next.wait();  // the worker still writes into our buffer
      }
      co_return ok;
    }
    count_frame(channel.wire_count(), piece.raw, payload, packed);
    sent += piece.raw;
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

namespace {

// Reads one frame's header and payload into `slot` at offset `at`. For a compressed frame
// checks, before anything is inflated, that it is one zstd frame whose
// content size fits both the frame limit and what is still `left`; returns
// that size as `raw` (the payload's length for a raw frame).
awaitable<Result<Frame>> read_frame(Channel& channel, InSlot& slot, std::size_t at,
                                    std::uint64_t left, std::uint32_t max_frame_bytes,
                                    std::size_t& raw) {
  std::array<char, kFrameHeaderBytes> header{};
  if (auto read = co_await channel.read_exact(header.data(), header.size()); !read) {
    co_return read.error();
  }
  auto frame = protocol::decode_frame_header(header, max_frame_bytes, channel.compression());
  if (!frame || frame->kind != Frame::Kind::kData) {
    co_return frame;
  }
  if (!frame->compressed && frame->length > left) {
    co_return make_error(Errc::kProtocol, "more data than announced");
  }
  slot.wire.resize(std::max<std::size_t>(slot.wire.size(), at + frame->length));
  if (auto read = co_await channel.read_exact(slot.wire.data() + at, frame->length); !read) {
    co_return read.error();
  }
  raw = frame->length;
  if (frame->compressed) {
    const auto limit = static_cast<std::size_t>(std::min<std::uint64_t>(max_frame_bytes, left));
    auto size = compress::Decompressor::content_size(slot.wire.data() + at, frame->length, limit);
    if (!size) {
      co_return size.error();
    }
    raw = *size;
  }
  co_return frame;
}

}  // namespace

namespace {

// Waits for the sink call in flight. A payload that did not inflate is
// returned (the connection ends); the sink's own verdict goes to `status`.
awaitable<Result<void>> settle(Offloaded<Sunk>& sinking, Result<void>& status) {
  Sunk done = co_await sinking.wait();
  if (!done.decoded) {
    co_return done.decoded;
  }
  status = std::move(done.sunk);
  co_return Result<void>{};
}

}  // namespace

awaitable<Result<void>> receive_stream(Channel& channel, std::uint64_t expected, const Sink& sink,
                                       const Progress& progress, std::uint32_t max_frame_bytes,
                                       asio::thread_pool* worker) {
  // Two slots: the sink takes one (on the worker) while frames are read into
  // the other; one sink call at a time, in order. While the next frame is
  // already at hand, raw frames are gathered, up to kBatchBytes per hand-off
  // (each costs a wake-up and moving the bytes to another core). A
  // compressed frame, a slower input and the end of the stream hand over
  // what was gathered, so a slow or cut transfer leaves its complete frames
  // in the sink as without batching.
  std::array<InSlot, 2> slots;
  std::size_t current = 0;
  std::size_t batched = 0;  // raw payload gathered in slots[current], not handed over yet
  compress::Decompressor decompressor;  // one per transfer; allocates on first use
  Offloaded<Sunk> sinking(channel.stream().get_executor());
  bool sink_started = false;
  Result<void> sink_status;  // the sink's verdict on everything handed to it
  std::uint64_t received = 0;
  channel.wire_count() = {};
  while (true) {
    InSlot& slot = slots[current];
    std::size_t raw = 0;
    auto frame =
        co_await read_frame(channel, slot, batched, expected - received, max_frame_bytes, raw);
    const bool data = frame && frame->kind == Frame::Kind::kData;
    const bool compressed = data && frame->compressed;
    const std::size_t length = data ? frame->length : 0;
    if (data) {
      received += raw;
      count_frame(channel.wire_count(), raw, length, compressed);
      if (!compressed) {
        batched += length;
      }
    }
    // Gather only while another frame like this one is already here: a
    // slow or stalling stream hands over every frame as it completes.
    if (!data || compressed || batched >= kBatchBytes ||
        channel.input_available() < kFrameHeaderBytes + length) {
      if (sink_started) {  // before the worker gets more, and before returning
        sink_started = false;
        if (auto decoded = co_await settle(sinking, sink_status); !decoded) {
          co_return decoded;
        }
      }
      // After a sink error the rest is only read and dropped.
      if (sink_status && (batched > 0 || compressed)) {
        const std::size_t plain = batched;
        if (compressed) {
          slot.raw.resize(std::max(slot.raw.size(), raw));
        }
        sinking.start(
            worker, [&sink, &slot, &decompressor, plain, length, raw, compressed]() -> Sunk {
              if (plain > 0) {
                if (auto sunk = sink(slot.wire.data(), plain); !sunk) {
                  return {{}, sunk};
                }
              }
              if (!compressed) {
                return {};
              }
              auto decoded =
                  decompressor.decompress(slot.wire.data() + plain, length, slot.raw.data(), raw);
              if (!decoded) {
                return {decoded, {}};
              }
              return {{}, sink(slot.raw.data(), raw)};
            });
        sink_started = true;
        current ^= 1;
      }
      batched = 0;
      if (!data && sink_started) {  // the stream ends here: the last batch first
        sink_started = false;
        if (auto decoded = co_await settle(sinking, sink_status); !decoded) {
          co_return decoded;
        }
      }
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
    if (progress) {
      progress(received);
    }
  }
}

}  // namespace sfs::net
