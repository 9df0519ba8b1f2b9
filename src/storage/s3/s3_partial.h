#pragma once
// The sidecar of a kept S3 partial (the S3 backend's internals, see
// storage/s3/s3_shared.h): its encoding, and its bounded decoding. Pure:
// bytes in, values out; fuzzed by fuzz/fuzz_s3_partial.cc.
//
//   SFS_ASSIGN_OR_RETURN(Partial p, decode_partial(body));  // kIo when damaged
//   put(encode_partial(p));

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::storage::s3 {

// A partial's sidecar starts with this header (counts, upload id, key,
// digest state) before its tail; bounded so a damaged sidecar is refused,
// not followed.
inline constexpr std::size_t kMaxPartialHeader = 4096;
// S3's largest part.
inline constexpr std::size_t kMaxPartialPartSize = std::size_t{5} << 30;

// A kept partial: what its sidecar says (docs/storage.md, "S3").
//
//   sfs-partial 2\n<parts>\n<part size>\n<upload id>\n<key>\n<digest state>\n<tail>
//
// The digest state is crypto::Digest::save() of the whole parts' bytes, in
// lower-case hex (empty with no part). Version 1 sidecars (an older
// build: no part size, no digest state) are still read, so that their
// multipart upload can be aborted; they cannot be continued past a part.
struct Partial {
  int version = 2;
  int parts = 0;              // whole parts sent
  std::size_t part_size = 0;  // bytes of each (0 in version 1)
  std::string upload_id;      // empty: no part was sent yet
  std::string key;            // the key the multipart upload was made for
  std::string digest_state;   // Digest::save() of the parts' bytes ("" with none)
  std::string tail;           // the bytes after the whole parts
};
// Writes version 2.
std::string encode_partial(const Partial& partial);
// Reads either version. Bounded: each header line ends within
// kMaxPartialHeader bytes, at most kMaxPartNumber parts of at most
// kMaxPartialPartSize bytes, a digest state of exactly
// crypto::kSavedStateBytes (hex) when there are parts and none without;
// anything else is kIo "damaged S3 partial sidecar". The tail is not
// checked against the part size here (the caller knows it).
Result<Partial> decode_partial(std::string_view body);

}  // namespace sfs::storage::s3
