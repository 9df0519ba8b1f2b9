#pragma once
// Streaming file data as frames (docs/protocol.md, "Frames"), for both
// directions and both ends. No reply per frame: the pipe stays full.
//
//   // sender: `source` fills a buffer, returns the count (0 = end)
//   Source source = [&](char* data, std::size_t max) -> awaitable<Result<std::size_t>> {
//     co_return co_await file.read(data, max);
//   };
//   co_await send_stream(ch, size, source, kDefaultFrameBytes);
//   // receiver: `sink` takes each payload
//   co_await receive_stream(ch, size, sink);
//
// Source and sink are asynchronous: whatever they wait for (a disk pool, a
// remote store) they wait for off the network threads, and the stream goes
// on meanwhile (the next piece is read or written while the current frame
// crosses the network).

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "net/memory_budget.h"
#include "protocol/limits.h"
#include "wire/channel.h"

namespace sfs::wire {

using Source = std::function<awaitable<Result<std::size_t>>(char* data, std::size_t max)>;
using Sink = std::function<awaitable<Result<void>>(const char* data, std::size_t length)>;
using Progress = std::function<void(std::uint64_t done)>;

using Check = std::function<Result<void>()>;

// Sends exactly `length` bytes pulled from `source`, then the end frame.
// When `source` fails or ends early, or `before_end` fails, sends the abort
// frame instead and returns the error (the channel stays usable). Network
// errors are returned as kNetwork.
//
// `source` is called one call at a time, for the next piece while the
// previous one is sent (the same for `sink` below): both proceed at once.
// With a `codec` pool, compression (and inflation in receive_stream) runs
// there, so the network threads never spend their time in zstd; without
// one it runs inline (the client).
//
// With a `budget`, the buffers of the frames in flight (two frames, four
// when compressing) are drawn from it; when it is short, frames are
// smaller, down to 16 KiB, and below that the transfer waits for memory
// (until the channel's deadline or rate floor ends it).
awaitable<Result<void>> send_stream(Channel& channel, std::uint64_t length, const Source& source,
                                    std::uint32_t frame_bytes = protocol::kDefaultFrameBytes,
                                    const Progress& progress = {}, const Check& before_end = {},
                                    asio::thread_pool* codec = nullptr,
                                    net::MemoryBudget* budget = nullptr);

// A stream of at most this many bytes may go whole (append_whole_stream).
inline constexpr std::uint64_t kWholeStreamBytes = std::uint64_t{64} << 10;

// The frames of a stream of `length` bytes (at most kWholeStreamBytes)
// pulled from `source` at once: one frame and the end frame, appended to
// `out`, so that they go out with the lines around them in one send (a
// small file's reply; pipelined, many of them). When `source` fails or
// ends early, or `before_end` fails, the abort frame is appended instead
// and the error returned, as send_stream would send and return them.
awaitable<Result<void>> append_whole_stream(std::string& out, std::uint64_t length,
                                            const Source& source, const Check& before_end = {});

// Receives frames until the end frame and hands each payload to `sink`.
// - more than `expected` bytes, or fewer before the end frame: kProtocol
//   (the connection cannot continue);
// - an abort frame: kAborted;
// - a `sink` error: the rest is read and dropped, then the error returned,
//   so the connection stays usable.
// Every byte that arrived reaches the sink, also when the stream is cut
// (partial frames too), so a cut upload can resume from there.
//
// Memory: buffers grow with the bytes that arrived, never for bytes still
// to come (a frame header alone costs nothing); a compressed frame is held
// whole until it is inflated. With a `budget` they are drawn from it:
// short of it, raw data goes to the sink in smaller pieces, and a
// compressed frame waits for memory (until the channel's deadline or rate
// floor ends it). When the channel finds the peer slow, the buffers go back
// until more bytes come.
awaitable<Result<void>> receive_stream(Channel& channel, std::uint64_t expected, const Sink& sink,
                                       const Progress& progress = {},
                                       std::uint32_t max_frame_bytes = protocol::kMaxFrameBytes,
                                       asio::thread_pool* codec = nullptr,
                                       net::MemoryBudget* budget = nullptr);

// True when receive_stream's error came from the sink: the stream itself was
// read through its end frame, so whatever follows it (a digest trailer) is
// still to be read.
inline bool stream_completed(const Error& error) {
  return error.code != Errc::kProtocol && error.code != Errc::kNetwork &&
         error.code != Errc::kAborted;
}

}  // namespace sfs::wire
