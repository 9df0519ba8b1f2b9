// Fuzzes the reading of a shared login verdict and of a node's barrier
// (auth::decode_verdict, decode_barrier: the payload of a PostgreSQL
// notification, which any role that may NOTIFY on the database can send):
// never a crash, fields within their bounds, what it reads encodes back to
// the same, and no payload is both.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/verdict_share.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const auto decoded = sfs::auth::decode_verdict(payload);
  if (decoded) {
    if (decoded->verdict.source.size() > sfs::auth::kMaxSharedField ||
        decoded->verdict.user.size() > sfs::auth::kMaxSharedField) {
      std::abort();
    }
    const auto again =
        sfs::auth::decode_verdict(sfs::auth::encode_verdict(decoded->node, decoded->verdict));
    if (!again || again->node != decoded->node || again->verdict.ok != decoded->verdict.ok ||
        again->verdict.source != decoded->verdict.source ||
        again->verdict.user != decoded->verdict.user) {
      std::abort();
    }
  }
  const auto barrier = sfs::auth::decode_barrier(payload);
  if (barrier) {
    const auto again = sfs::auth::decode_barrier(sfs::auth::encode_barrier(*barrier));
    if (decoded || !again || again->node != barrier->node || again->seq != barrier->seq) {
      std::abort();
    }
  }
  return 0;
}
