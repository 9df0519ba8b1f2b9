#include "wire/transfer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

#include "asio/offload.h"
#include "base/check.h"
#include "compress/zstd_codec.h"
#include "protocol/frame.h"

namespace sfs::wire {
namespace {

using net::Buffer;
using protocol::Frame;
using protocol::kFrameHeaderBytes;

// At most this much raw payload is gathered before a receiver hands it to
// its sink at once.
constexpr std::size_t kBatchBytes = std::size_t{1} << 20;
// The smallest buffer a read gets, and the smallest frame a sender short of
// memory falls back to: one TLS record.
constexpr std::size_t kPieceBytes = 16384;
// How often a transfer that the memory budget cannot serve asks again.
constexpr auto kMemoryPoll = std::chrono::milliseconds(20);

// The capacity to grow a buffer to when it must hold `need` bytes: doubling
// (fewer copies), never above `most`; the same capacity when it suffices.
std::size_t next_capacity(std::size_t capacity, std::size_t need, std::size_t most) {
  if (need <= capacity) {
    return capacity;
  }
  return std::min(most, std::max(need, 2 * capacity));
}

// Waits a moment for memory to be given back. kNetwork once the channel was
// closed meanwhile (its watchdog ends a transfer that waits too long).
awaitable<Result<void>> wait_for_memory(Channel& channel) {
  asio::steady_timer pause(channel.stream().get_executor(), kMemoryPoll);
  boost::system::error_code ec;
  co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return channel.alive();
}

awaitable<Result<void>> send_marker(Channel& channel, std::uint32_t marker) {
  std::array<char, kFrameHeaderBytes> header{};
  protocol::encode_frame_header(marker, header);
  co_return co_await channel.write(header.data(), header.size());
}

// Where a frame's payload starts in its slot: the header goes right before
// it, so that a frame is one TLS write, and the payload on a cache line of
// its own past the start of a page. The kernel copies a file into a buffer
// that starts within 64 bytes of a page boundary at about half the speed
// (measured with pread from tmpfs: 0.6-1.1 GB/s at offsets 4-20, 1.8-2.9
// GB/s at 64 and above), and the slots of 128 KiB and more are page-aligned.
constexpr std::size_t kPayloadAt = 64;
constexpr std::size_t kHeaderAt = kPayloadAt - kFrameHeaderBytes;

// One frame being prepared: the source's bytes and, when compressing, the
// zstd frame made of them; each with the header before its payload.
struct OutSlot {
  explicit OutSlot(net::MemoryBudget* budget) : raw(budget), packed(budget) {}
  Buffer raw;
  Buffer packed;
};

// What fetching made of one piece: `raw` bytes read, and the size of their
// zstd frame, 0 to send them raw.
struct Piece {
  std::size_t raw = 0;
  std::size_t packed = 0;
};

void count_frame(WireCount& count, std::size_t raw, std::size_t wire, bool compressed) {
  count.data_bytes += raw;
  count.wire_bytes += kFrameHeaderBytes + wire;
  ++(compressed ? count.compressed_frames : count.raw_frames);
}

// One send_stream. Two slots: the source fills (and zstd packs, on the codec
// pool) one while the other is sent. Their memory comes from the budget, as
// much as it has (smaller frames when it is short). When the channel finds
// the peer slow while a frame's records wait to be sent, everything but
// those records and the frame read ahead goes back (the zstd context too)
// until the peer reads again.
class Sender {
 public:
  Sender(Channel& channel, std::uint64_t length, const Source& source, std::uint32_t frame_bytes,
         const Progress& progress, const Check& before_end, asio::thread_pool* codec,
         net::MemoryBudget* budget)
      : channel_(channel),
        length_(length),
        source_(source),
        progress_(progress),
        before_end_(before_end),
        codec_(codec),
        frame_bytes_(static_cast<std::size_t>(std::min<std::uint64_t>(
            std::clamp<std::uint32_t>(frame_bytes, 1, protocol::kMaxFrameBytes), length))),
        slots_{OutSlot(budget), OutSlot(budget)},
        next_(channel.stream().get_executor()) {}

  awaitable<Result<void>> run();

 private:
  // Gives `slot` room for a frame (or a smaller one when the budget is
  // short); waits for memory when not even kPieceBytes fit.
  awaitable<Result<void>> make_room(OutSlot& slot);
  // Starts reading the frame at `offset` into `slot` (and packing it).
  void fetch(OutSlot& slot, std::uint64_t offset);
  awaitable<Result<Piece>> fill(OutSlot& slot, std::size_t want);
  // The started fetch's result.
  awaitable<Result<Piece>> take_next();
  // Sends `slot`'s frame; gives buffers back while a slow peer keeps its
  // records waiting.
  awaitable<Result<void>> send_frame(OutSlot& slot, const Piece& piece);
  awaitable<void> slowed(OutSlot& sent, OutSlot& ahead);
  // Sends the abort frame, then returns `why` (or the network error).
  awaitable<Result<void>> abort_with(Error why);

  Channel& channel_;
  const std::uint64_t length_;
  const Source& source_;
  const Progress& progress_;
  const Check& before_end_;
  asio::thread_pool* const codec_;
  const std::size_t frame_bytes_;
  std::array<OutSlot, 2> slots_;
  // One compressor for the whole transfer: its tables are reused by every
  // frame. It runs on the codec pool, one call at a time.
  std::optional<compress::Compressor> compressor_;
  Offloaded<Result<Piece>> next_;
  std::optional<Result<Piece>> ahead_;  // the fetch's result, once waited for early
  std::uint64_t sent_ = 0;
};

awaitable<Result<void>> Sender::run() {
  const Transfer transfer(channel_);
  channel_.wire_count() = {};
  if (channel_.compression() && length_ > 0) {
    compressor_.emplace();
  }
  std::size_t current = 0;
  if (length_ > 0) {
    if (auto ok = co_await make_room(slots_[current]); !ok) {
      co_return ok;
    }
    fetch(slots_[current], 0);
  }
  while (sent_ < length_) {
    auto got = co_await take_next();
    if (!got || got->raw == 0) {
      // The reason is built in a local first: GCC 12 destroyed the
      // temporary of this conditional twice when the abort frame could
      // not be sent (a source that failed on a cut connection).
      Error why = got ? make_error(Errc::kIo, "file shrank while being sent") : got.error();
      co_return co_await abort_with(std::move(why));
    }
    const Piece piece = *got;
    OutSlot& slot = slots_[current];
    current ^= 1;
    if (sent_ + piece.raw < length_) {  // read ahead while this frame goes out
      if (auto ok = co_await make_room(slots_[current]); !ok) {
        co_return ok;
      }
      fetch(slots_[current], sent_ + piece.raw);
    }
    if (auto ok = co_await send_frame(slot, piece); !ok) {
      if (next_.running()) {
        (void)co_await next_.wait();  // the source still writes into our buffer
      }
      co_return ok;
    }
    sent_ += piece.raw;
    if (progress_) {
      progress_(sent_);
    }
  }
  if (before_end_) {
    if (auto ok = before_end_(); !ok) {
      co_return co_await abort_with(ok.error());
    }
  }
  co_return co_await send_marker(channel_, protocol::kEndFrame);
}

awaitable<Result<void>> Sender::make_room(OutSlot& slot) {
  const std::size_t want = kPayloadAt + frame_bytes_;
  const std::size_t least = kPayloadAt + std::min(frame_bytes_, kPieceBytes);
  while (true) {
    if (slot.raw.grow(least, want, 0)) {
      const std::size_t got = slot.raw.capacity();
      if (!compressor_ || slot.packed.grow(got, got, 0)) {
        co_return Result<void>{};
      }
      slot.raw.release();
    }
    if (auto ok = co_await wait_for_memory(channel_); !ok) {
      co_return ok;
    }
  }
}

void Sender::fetch(OutSlot& slot, std::uint64_t offset) {
  const std::size_t room = slot.raw.capacity() - kPayloadAt;
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(room, length_ - offset));
  next_.start(fill(slot, want));
}

awaitable<Result<Piece>> Sender::fill(OutSlot& slot, std::size_t want) {
  char* raw = slot.raw.data() + kPayloadAt;
  auto got = co_await source_(raw, want);
  if (!got) {
    co_return got.error();
  }
  Piece piece{*got, 0};
  if (compressor_ && *got > 0) {
    char* packed = slot.packed.data() + kPayloadAt;
    compress::Compressor& packer = *compressor_;
    const std::size_t n = *got;
    auto pack = [&packer, raw, packed, n] { return packer.compress(raw, n, packed, n); };
    if (codec_ != nullptr) {
      piece.packed = co_await run_blocking(*codec_, pack);
    } else {
      piece.packed = pack();
    }
  }
  co_return piece;
}

awaitable<Result<Piece>> Sender::take_next() {
  if (!ahead_) {
    Result<Piece> got = co_await next_.wait();
    co_return got;
  }
  Result<Piece> got = std::move(*ahead_);
  ahead_.reset();
  co_return got;
}

awaitable<Result<void>> Sender::send_frame(OutSlot& slot, const Piece& piece) {
  const bool packed = piece.packed > 0;
  Buffer& buffer = packed ? slot.packed : slot.raw;
  const std::size_t payload = packed ? piece.packed : piece.raw;
  protocol::encode_frame_header(
      static_cast<std::uint32_t>(payload),
      std::span<char, kFrameHeaderBytes>(buffer.data() + kHeaderAt, kFrameHeaderBytes), packed);
  auto wrote = co_await channel_.send(buffer.data() + kHeaderAt, kFrameHeaderBytes + payload);
  bool released = false;
  while (wrote && !*wrote) {  // slow: the frame is taken, its records wait
    if (!released) {
      co_await slowed(slot, &slot == &slots_[0] ? slots_[1] : slots_[0]);
      released = true;
    }
    wrote = co_await channel_.finish();
  }
  if (!wrote) {
    co_return wrote.error();
  }
  count_frame(channel_.wire_count(), piece.raw, payload, packed);
  co_return Result<void>{};
}

awaitable<void> Sender::slowed(OutSlot& sent, OutSlot& ahead) {
  // The fetch of the frame read ahead may be running or done (its result
  // waiting in next_): either way that frame keeps only what goes out.
  if (next_.unclaimed()) {
    Result<Piece> got = co_await next_.wait();
    ahead_ = std::move(got);
  }
  sent.raw.release();
  sent.packed.release();
  // Of the frame read ahead only what goes out stays.
  const bool packed = ahead_ && *ahead_ && (*ahead_)->packed > 0;
  if (packed) {
    ahead.raw.release();
  } else if (ahead_) {
    ahead.packed.release();
  }
  channel_.release_buffers();
}

awaitable<Result<void>> Sender::abort_with(Error why) {
  if (auto ok = co_await send_marker(channel_, protocol::kAbortFrame); !ok) {
    co_return ok;
  }
  co_return why;
}

}  // namespace

awaitable<Result<void>> append_whole_stream(std::string& out, std::uint64_t length,
                                            const Source& source, const Check& before_end) {
  SFS_CHECK(length <= kWholeStreamBytes);
  const std::size_t start = out.size();
  std::size_t got = 0;
  if (length > 0) {
    out.resize(start + kFrameHeaderBytes + length);
    protocol::encode_frame_header(
        static_cast<std::uint32_t>(length),
        std::span<char, kFrameHeaderBytes>(out.data() + start, kFrameHeaderBytes), false);
  }
  Result<void> verdict;
  while (got < length && verdict) {
    auto n = co_await source(out.data() + start + kFrameHeaderBytes + got, length - got);
    if (!n) {
      verdict = n.error();
    } else if (*n == 0) {
      verdict = make_error(Errc::kIo, "file shrank while being sent");
    } else {
      got += *n;
    }
  }
  if (verdict && before_end) {
    verdict = before_end();
  }
  std::array<char, kFrameHeaderBytes> marker{};
  if (!verdict) {
    out.resize(start);  // none of the data: an abort frame alone
  }
  protocol::encode_frame_header(verdict ? protocol::kEndFrame : protocol::kAbortFrame, marker);
  out.append(marker.data(), marker.size());
  co_return verdict;
}

awaitable<Result<void>> send_stream(Channel& channel, std::uint64_t length, const Source& source,
                                    std::uint32_t frame_bytes, const Progress& progress,
                                    const Check& before_end, asio::thread_pool* codec,
                                    net::MemoryBudget* budget) {
  Sender sender(channel, length, source, frame_bytes, progress, before_end, codec, budget);
  co_return co_await sender.run();
}

namespace {

// A received piece in flight: raw payload as read (gathered from one or more
// frames), or one compressed frame's payload and the bytes it inflates to.
// A piece of `wire` is outside the budget, so raw data always moves.
struct InSlot {
  explicit InSlot(net::MemoryBudget* budget) : wire(budget, kPieceBytes), raw(budget) {}
  Buffer wire;
  Buffer raw;
};

// The verdicts of one offloaded piece: a payload that does not inflate is
// the peer's fault (the connection ends), a sink error is ours (it goes on).
struct Sunk {
  Result<void> decoded;
  Result<void> sunk;
};

// One receive_stream. Two slots: the sink takes one (a compressed frame is
// inflated first, on the codec pool) while frames are read into the other;
// one sink call at a time, in order.
//
// Raw payload is read as it arrives, into a buffer that grows with what is
// here (never for bytes still to come), and gathered up to kBatchBytes per
// hand-off (each costs a wake-up and moving the bytes to another core)
// while the next frame is already here; a raw frame may span hand-offs. A
// compressed frame is needed whole (checked, then inflated at once), so its
// payload is read the same way into a slot of its own. When the channel
// finds the peer slow (Channel::read_some returns 0), what was gathered
// goes to the sink and the buffers are given back until more comes: a
// stalled or trickling transfer holds no more than a piece, plus the part
// of a compressed frame that arrived. A cut transfer leaves every byte that
// arrived in the sink, for resume.
class Receiver {
 public:
  Receiver(Channel& channel, std::uint64_t expected, const Sink& sink, const Progress& progress,
           std::uint32_t max_frame_bytes, asio::thread_pool* codec, net::MemoryBudget* budget)
      : channel_(channel),
        expected_(expected),
        sink_(sink),
        progress_(progress),
        max_frame_bytes_(max_frame_bytes),
        codec_(codec),
        slots_{InSlot(budget), InSlot(budget)},
        sinking_(channel.stream().get_executor()) {}

  awaitable<Result<void>> run();

 private:
  awaitable<Result<void>> read_frames();
  awaitable<Result<Frame>> read_header();
  awaitable<Result<void>> read_raw(std::uint32_t length);
  awaitable<Result<void>> read_compressed(std::uint32_t length);
  // Makes room in `buffer`, which holds `used` bytes, for more of the
  // `left` bytes still to come, when less than a piece is left: it grows
  // (doubling, up to `most` in all) for what is here already, at least a
  // piece, never for bytes still to come. False when there is no room and
  // the budget gives none.
  bool make_room(Buffer& buffer, std::size_t used, std::size_t left, std::size_t most);
  // Hands the gathered raw payload to the sink (after the call before it).
  awaitable<Result<void>> hand_over();
  // Hands the current slot's compressed frame over to inflate and sink.
  awaitable<Result<void>> hand_over_compressed(std::uint32_t length, std::size_t raw);
  awaitable<Sunk> sink_raw(InSlot& slot, std::size_t plain);
  awaitable<Sunk> sink_compressed(InSlot& slot, std::uint32_t length, std::size_t raw, bool keep);
  // Waits for the sink call in flight. A payload that did not inflate is
  // returned (the connection ends); the sink's own verdict goes to sink_status_.
  awaitable<Result<void>> settle();
  // The peer is slow: hands over what was gathered and gives the buffers
  // back, but the first `keep` bytes of the current slot's payload.
  awaitable<Result<void>> slowed(std::size_t keep);

  Channel& channel_;
  const std::uint64_t expected_;
  const Sink& sink_;
  const Progress& progress_;
  const std::uint32_t max_frame_bytes_;
  asio::thread_pool* const codec_;
  std::array<InSlot, 2> slots_;
  std::size_t current_ = 0;
  std::size_t gathered_ = 0;  // raw payload in slots_[current_].wire, not handed over yet
  Offloaded<Sunk> sinking_;
  bool sink_started_ = false;
  Result<void> sink_status_;  // the sink's verdict on everything handed to it
  Result<void> decoded_;      // the first compressed frame that did not inflate
  std::uint64_t received_ = 0;
};

awaitable<Result<void>> Receiver::run() {
  const Transfer transfer(channel_);
  channel_.wire_count() = {};
  const Result<void> ended = co_await read_frames();
  // The stream stops here: the last batch first.
  if (auto last = co_await hand_over(); !last) {
    co_return last;
  }
  if (auto decoded = co_await settle(); !decoded) {
    co_return decoded;
  }
  if (!ended) {
    co_return ended;
  }
  co_return sink_status_;
}

awaitable<Result<void>> Receiver::read_frames() {
  while (true) {
    auto frame = co_await read_header();
    if (!frame) {
      co_return frame.error();
    }
    if (frame->kind == Frame::Kind::kAbort) {
      co_return make_error(Errc::kAborted, "transfer aborted by peer");
    }
    if (frame->kind == Frame::Kind::kEnd) {
      if (received_ != expected_) {
        co_return make_error(Errc::kProtocol, "transfer ended early");
      }
      co_return Result<void>{};
    }
    Result<void> read;
    if (frame->compressed) {
      read = co_await read_compressed(frame->length);
    } else {
      read = co_await read_raw(frame->length);
    }
    if (!read) {
      co_return read;
    }
    if (progress_) {
      progress_(received_);
    }
  }
}

awaitable<Result<Frame>> Receiver::read_header() {
  std::array<char, kFrameHeaderBytes> header{};
  std::size_t got = 0;
  while (got < header.size()) {
    auto n = co_await channel_.read_some(header.data() + got, header.size() - got);
    if (!n) {
      co_return n.error();
    }
    if (*n == 0) {
      if (auto ok = co_await slowed(0); !ok) {
        co_return ok.error();
      }
      continue;
    }
    got += *n;
  }
  co_return protocol::decode_frame_header(header, max_frame_bytes_, channel_.compression());
}

awaitable<Result<void>> Receiver::read_raw(std::uint32_t length) {
  if (length > expected_ - received_) {
    co_return make_error(Errc::kProtocol, "more data than announced");
  }
  received_ += length;
  count_frame(channel_.wire_count(), length, length, false);
  std::size_t left = length;
  while (left > 0) {
    if (gathered_ == kBatchBytes) {
      if (auto ok = co_await hand_over(); !ok) {
        co_return ok;
      }
    }
    Buffer& wire = slots_[current_].wire;
    const std::size_t room = std::min(left, kBatchBytes - gathered_);
    if (!make_room(wire, gathered_, room, kBatchBytes)) {
      // The budget is short: sink what we have, or wait for memory.
      Result<void> ok;
      if (gathered_ > 0) {
        ok = co_await hand_over();
      } else {
        ok = co_await wait_for_memory(channel_);
      }
      if (!ok) {
        co_return ok;
      }
      continue;
    }
    const std::size_t most = std::min(room, wire.capacity() - gathered_);
    auto n = co_await channel_.read_some(wire.data() + gathered_, most);
    if (!n) {
      co_return n.error();
    }
    if (*n == 0) {
      if (auto ok = co_await slowed(0); !ok) {
        co_return ok;
      }
      continue;
    }
    gathered_ += *n;
    left -= *n;
  }
  // Gather on only while another frame like this one is already here: a
  // slow stream hands over every frame as it completes.
  if (channel_.input_available() < kFrameHeaderBytes + length) {
    co_return co_await hand_over();
  }
  co_return Result<void>{};
}

awaitable<Result<void>> Receiver::read_compressed(std::uint32_t length) {
  if (auto ok = co_await hand_over(); !ok) {  // the raw payload before it goes first
    co_return ok;
  }
  std::size_t got = 0;
  while (got < length) {
    Buffer& wire = slots_[current_].wire;
    const std::size_t left = length - got;
    if (!make_room(wire, got, left, length)) {
      if (auto ok = co_await wait_for_memory(channel_); !ok) {  // the frame is needed whole
        co_return ok;
      }
      continue;
    }
    auto n = co_await channel_.read_some(wire.data() + got, std::min(left, wire.capacity() - got));
    if (!n) {
      co_return n.error();
    }
    if (*n == 0) {
      if (auto ok = co_await slowed(got); !ok) {
        co_return ok;
      }
      continue;
    }
    got += *n;
  }
  // Checked before anything is inflated: one zstd frame whose content size
  // fits both the frame limit and what is still to come.
  InSlot& slot = slots_[current_];
  const auto limit =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_frame_bytes_, expected_ - received_));
  auto size = compress::content_size(slot.wire.data(), length, limit);
  if (!size) {
    co_return size.error();
  }
  received_ += *size;
  count_frame(channel_.wire_count(), *size, length, true);
  while (!slot.raw.grow(*size, *size, 0)) {
    if (auto ok = co_await wait_for_memory(channel_); !ok) {
      co_return ok;
    }
  }
  co_return co_await hand_over_compressed(length, *size);
}

bool Receiver::make_room(Buffer& buffer, std::size_t used, std::size_t left, std::size_t most) {
  const std::size_t piece = std::min(left, kPieceBytes);
  if (buffer.capacity() - used >= piece) {
    return true;
  }
  // One syscall (FIONREAD), so only here, not for every record read.
  const std::size_t here = std::max(channel_.input_available(), kPieceBytes);
  const std::size_t want = next_capacity(buffer.capacity(), used + std::min(left, here), most);
  return buffer.grow(used + piece, want, used) || buffer.capacity() > used;
}

awaitable<Result<void>> Receiver::hand_over() {
  if (gathered_ == 0) {
    co_return Result<void>{};
  }
  if (auto decoded = co_await settle(); !decoded) {
    co_return decoded;
  }
  const std::size_t plain = std::exchange(gathered_, 0);
  if (!sink_status_) {
    co_return Result<void>{};  // after a sink error the rest is only read and dropped
  }
  InSlot& slot = slots_[current_];
  sinking_.start(sink_raw(slot, plain));
  sink_started_ = true;
  current_ ^= 1;
  co_return Result<void>{};
}

awaitable<Result<void>> Receiver::hand_over_compressed(std::uint32_t length, std::size_t raw) {
  if (auto decoded = co_await settle(); !decoded) {
    co_return decoded;
  }
  if (!sink_status_) {
    co_return Result<void>{};
  }
  InSlot& slot = slots_[current_];
  // The buffers are kept for the next frame only when it is here already
  // and they are not large (a sender's usual frames): a slow stream holds
  // the inflated bytes only while they are sunk.
  const bool keep = raw <= kBatchBytes && channel_.input_available() >= kFrameHeaderBytes + length;
  sinking_.start(sink_compressed(slot, length, raw, keep));
  sink_started_ = true;
  current_ ^= 1;
  co_return Result<void>{};
}

awaitable<Sunk> Receiver::sink_raw(InSlot& slot, std::size_t plain) {
  Sunk done;
  done.sunk = co_await sink_(slot.wire.data(), plain);
  co_return done;
}

awaitable<Sunk> Receiver::sink_compressed(InSlot& slot, std::uint32_t length, std::size_t raw,
                                          bool keep) {
  auto inflate = [&slot, length, raw] {
    return compress::decompress(slot.wire.data(), length, slot.raw.data(), raw);
  };
  Result<void> decoded;
  if (codec_ != nullptr) {
    decoded = co_await run_blocking(*codec_, inflate);
  } else {
    decoded = inflate();
  }
  Sunk done;
  if (!decoded) {
    done.decoded = std::move(decoded);
  } else {
    done.sunk = co_await sink_(slot.raw.data(), raw);
  }
  if (!keep) {
    slot.raw.release();
    slot.wire.release();
  }
  co_return done;
}

awaitable<Result<void>> Receiver::settle() {
  if (sink_started_) {
    sink_started_ = false;
    Sunk done = co_await sinking_.wait();
    if (!done.decoded) {
      decoded_ = std::move(done.decoded);
    } else if (sink_status_ && !done.sunk) {
      sink_status_ = std::move(done.sunk);
    }
  }
  co_return decoded_;
}

awaitable<Result<void>> Receiver::slowed(std::size_t keep) {
  if (auto ok = co_await hand_over(); !ok) {
    co_return ok;
  }
  if (auto ok = co_await settle(); !ok) {
    co_return ok;
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (i == current_ && keep > 0) {
      slots_[i].wire.shrink(keep);
    } else {
      slots_[i].wire.release();
    }
    slots_[i].raw.release();
  }
  channel_.release_buffers();
  co_return Result<void>{};
}

}  // namespace

awaitable<Result<void>> receive_stream(Channel& channel, std::uint64_t expected, const Sink& sink,
                                       const Progress& progress, std::uint32_t max_frame_bytes,
                                       asio::thread_pool* codec, net::MemoryBudget* budget) {
  Receiver receiver(channel, expected, sink, progress, max_frame_bytes, codec, budget);
  co_return co_await receiver.run();
}

}  // namespace sfs::wire
