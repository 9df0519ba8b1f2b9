#pragma once
// The headers of tus 1.0 (tus.io/protocols/resumable-upload), the resumable
// upload protocol the HTTPS door speaks under /tus/ (docs/tus.md): pure
// string work with named limits, no I/O, fuzzed (fuzz/fuzz_tus.cc).
//
//   auto length = tus::parse_number(request["Upload-Length"]);     // 400 if not
//   auto meta = tus::parse_metadata(request["Upload-Metadata"]);    // 400 if not
//   auto path = tus::target_path(tus::value_of(*meta, "folder"),
//                                tus::value_of(*meta, "filename"), max_path);

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace sfs::tus {

// The one version spoken (Tus-Resumable, Tus-Version).
inline constexpr std::string_view kVersion = "1.0.0";
// The extensions served (Tus-Extension).
inline constexpr std::string_view kExtensions = "creation,termination,expiration";
// The body type of a PATCH.
inline constexpr std::string_view kPatchType = "application/offset+octet-stream";
// Upload-Metadata: at most this many pairs, keys this long, and decoded
// values of this many bytes together (the header is bounded too, by the
// door's header limit; these keep what is kept per upload small).
inline constexpr std::size_t kMaxMetadataPairs = 32;
inline constexpr std::size_t kMaxMetadataKeyBytes = 64;
inline constexpr std::size_t kMaxMetadataValueBytes = 4096;
// An upload's id in URLs: 128 random bits as lower-case hex.
inline constexpr std::size_t kIdHexLength = 32;

// Decoded Upload-Metadata pairs, in the order sent; keys unique.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// Upload-Length and Upload-Offset: a decimal number of 1 to 19 digits, no
// sign, nothing around it. kBadRequest otherwise.
Result<std::uint64_t> parse_number(std::string_view value);

// Upload-Metadata (tus 1.0 creation): "key base64,key2 base64,key3"
// (spaces and tabs around a pair are allowed, a value may be empty and then
// its space left out). kBadRequest for an empty or repeated key, a key with
// characters outside visible ASCII, a value that is not base64 (standard
// alphabet, padding optional but only at the end), or past the limits above.
Result<Metadata> parse_metadata(std::string_view value);

// The decoded value of `key`, or "" when it is absent.
std::string_view value_of(const Metadata& metadata, std::string_view key);

// True when `content_type` is kPatchType (any case, parameters ignored).
bool is_patch_type(std::string_view content_type);

// True for kIdHexLength lower-case hex digits.
bool is_upload_id(std::string_view text);

// The path in the user's space of the file `filename` in the folder
// `folder` ("" or "/" is the top): "a/b/name.txt". kBadRequest for an empty
// filename or one with a '/', for a component that is empty (besides the
// folder's slashes at either end), "." or "..", starts with ".sfs-" (the
// server's own files), or holds a control character, or when the path is
// longer than `max_path_bytes`.
Result<std::string> target_path(std::string_view folder, std::string_view filename,
                                std::size_t max_path_bytes);

}  // namespace sfs::tus
