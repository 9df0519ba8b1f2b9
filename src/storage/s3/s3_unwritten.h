#pragma once
// Kept partials whose sidecar the store did not take (the S3 backend's
// internals, see storage/s3/s3_shared.h). An upload cut because the store
// went away cannot write its sidecar then, yet its whole parts are safe in
// the store's multipart upload: this table keeps the sidecar in memory, so
// that the next upload of the same partial continues from those parts once
// the store is back (and the sweep stores it, for any node and a restart).
// Whole parts only (the tail is sent again), so an entry is a few hundred
// bytes; at most kMaxKept are kept.
//
// Every call about one sidecar is made under its claim (Shared::claim), so
// one upload or sweep at a time takes, keeps or replaces it.
//
//   std::optional<UnwrittenPartial> replaced;
//   if (!shared->unwritten.keep({sidecar, partial, now}, replaced)) { ...let the parts go... }
//   if (auto kept = shared->unwritten.take(sidecar)) { ...continue kept->partial... }

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/s3/s3_partial.h"

namespace sfs::storage::s3 {

struct UnwrittenPartial {
  std::string sidecar;       // the key its sidecar has in the store
  Partial partial;           // whole parts only: an empty tail
  std::int64_t kept_at = 0;  // seconds since the epoch
};

class UnwrittenPartials {
 public:
  static constexpr std::size_t kMaxKept = 4096;

  // Keeps `entry`, in place of one of the same sidecar (moved to
  // `replaced`: its multipart upload is nobody's now). False when kMaxKept
  // others are kept (then nothing changes).
  bool keep(UnwrittenPartial entry, std::optional<UnwrittenPartial>& replaced);
  // The entry of `sidecar`, removed from the table; nullopt when none.
  std::optional<UnwrittenPartial> take(const std::string& sidecar);
  // The sidecars kept, sorted.
  std::vector<std::string> sidecars() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, UnwrittenPartial> kept_;
};

}  // namespace sfs::storage::s3
