// Fuzzes the S3 partial sidecar's decoder (storage/s3/s3_partial.h) and
// the digest state it carries (crypto::Digest::restore): a damaged or
// forged sidecar must never crash either. What decodes must keep the
// bounds and encode back to the same header; a state that restores must
// be safe to continue hashing from.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/digest.h"
#include "storage/s3/s3_partial.h"
#include "storage/s3/s3_xml.h"

namespace crypto = sfs::crypto;
namespace s3 = sfs::storage::s3;

namespace {

void check_state(std::string_view state) {
  crypto::Digest digest;
  if (!digest.restore(state).ok()) {
    if (digest.length() != 0) {
      std::abort();  // a refused state leaves the digest as it was
    }
    return;
  }
  (void)digest.hex_digest();
  const std::string more(1000, 'x');
  digest.update(more.data(), more.size());
  (void)digest.hex_digest();
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): libFuzzer names the entry point
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_state(bytes);
  auto partial = s3::decode_partial(bytes);
  if (!partial) {
    return 0;
  }
  if (partial->parts < 0 || partial->parts > s3::kMaxPartNumber ||
      partial->part_size > s3::kMaxPartialPartSize ||
      (partial->parts > 0) == partial->upload_id.empty() || partial->tail.size() > bytes.size()) {
    std::abort();
  }
  if (partial->version == 2) {
    if (partial->part_size == 0 ||
        partial->digest_state.size() != (partial->parts > 0 ? crypto::kSavedStateBytes : 0)) {
      std::abort();
    }
    // A version 2 sidecar encodes back to the very same bytes.
    if (s3::encode_partial(*partial) != bytes) {
      std::abort();
    }
    check_state(partial->digest_state);
  }
  return 0;
}
