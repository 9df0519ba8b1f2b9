#pragma once
// Named limits of protocol version 1 (see docs/protocol.md).

#include <cstddef>
#include <cstdint>

namespace sfs::protocol {

inline constexpr int kVersion = 1;

// A command or reply line, including its '\n'.
inline constexpr std::size_t kMaxLineBytes = 16384;
// A decoded remote path, and one component of it.
inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::size_t kMaxNameBytes = 255;
// User names and passwords as they travel in LOGIN.
inline constexpr std::size_t kMaxUserBytes = 64;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Frames: the largest data frame a receiver accepts, and what senders use.
inline constexpr std::uint32_t kMaxFrameBytes = 4U << 20;
inline constexpr std::uint32_t kDefaultFrameBytes = 256U << 10;
inline constexpr std::size_t kFrameHeaderBytes = 4;

inline constexpr std::size_t kDefaultPreviewBytes = 1024;

// Feature words (a compression algorithm, a feature named in a greeting),
// and how many a greeting may name.
inline constexpr std::size_t kMaxFeatureBytes = 32;
inline constexpr std::size_t kMaxFeatures = 16;

// The longest hold a DELAY notice may announce, in milliseconds (an hour).
inline constexpr std::uint64_t kMaxDelayMs = 3600000;

// Prefix of the server's hidden temporary files; refused in remote paths.
inline constexpr char kReservedPrefix[] = ".sfs-";

}  // namespace sfs::protocol
