// Fuzzes the reading of the cluster's login messages (auth::decode_attempt:
// the payload of a PostgreSQL notification, which any role that may NOTIFY
// on the database can send): never a crash, fields within their bounds, and
// what it reads encodes back to the same.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/verdict_share.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const auto decoded = sfs::auth::decode_attempt(payload);
  if (!decoded) {
    return 0;
  }
  if (decoded->key.source.empty() || decoded->key.source.size() > sfs::auth::kMaxSharedField ||
      decoded->key.user.size() > sfs::auth::kMaxSharedField ||
      (!decoded->ended && decoded->ok.has_value())) {
    std::abort();
  }
  const auto again = sfs::auth::decode_attempt(sfs::auth::encode_attempt(*decoded));
  if (!again || again->node != decoded->node || again->seq != decoded->seq ||
      again->ended != decoded->ended || again->ok != decoded->ok ||
      again->key.source != decoded->key.source || again->key.user != decoded->key.user) {
    std::abort();
  }
  return 0;
}
