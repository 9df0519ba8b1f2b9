#pragma once
// Who is writing which kept partial, and which multipart uploads are in use:
// the claims a backend with resumable partials in a shared store (S3) makes
// so that one upload at a time continues a partial and the stale sweep
// leaves alone what an upload still writes. One node keeps them in memory
// (MemoryPartialClaims); nodes sharing a bucket keep them in their shared
// database (pg::PgPartialClaims, docs/cluster.md), which is why the calls
// that answer may block: callers run them off the network threads.
//
//   MemoryPartialClaims claims;
//   SFS_ASSIGN_OR_RETURN(bool mine, claims.claim(sidecar));  // false: in use elsewhere
//   if (mine) { ...continue the partial...; claims.unclaim(sidecar); }
//   claims.hold_upload(upload_id);   // the sweep must not abort it
//   SFS_ASSIGN_OR_RETURN(bool held, claims.holds_upload(upload_id));
//
// Names are a backend's own keys (a sidecar's object key, an upload id):
// opaque strings here.

#include <mutex>
#include <set>
#include <string>

#include "base/result.h"

namespace sfs::storage {

class PartialClaims {
 public:
  virtual ~PartialClaims() = default;

  // Takes `sidecar` for one upload: true when it is now this upload's,
  // false when an upload (of any live node) holds it. kIo with a one-line
  // reason when the claims cannot be asked (a database away): the caller
  // must not continue the partial then. May block.
  virtual Result<bool> claim(const std::string& sidecar) = 0;
  // Gives a claim back. Never blocks (a shared store writes it later).
  virtual void unclaim(const std::string& sidecar) = 0;
  // True when an upload of any live node holds `sidecar`; kIo when that
  // cannot be known (the sweep then leaves the sidecar alone). May block.
  virtual Result<bool> is_claimed(const std::string& sidecar) = 0;

  // The multipart uploads the uploads in progress write (the stale sweep
  // leaves them alone). Never block: a shared store writes them later (a
  // sweep only aborts uploads begun long before, see the implementations).
  virtual void hold_upload(const std::string& upload_id) = 0;
  virtual void release_upload(const std::string& upload_id) = 0;
  // True when an upload of any live node holds `upload_id`; kIo when that
  // cannot be known. May block.
  virtual Result<bool> holds_upload(const std::string& upload_id) = 0;

  // False when no call blocks (callers may then skip the offload).
  virtual bool may_block() const { return true; }
};

// One process's claims, in memory (one server per bucket prefix): never
// fails, never blocks beyond a mutex.
class MemoryPartialClaims final : public PartialClaims {
 public:
  Result<bool> claim(const std::string& sidecar) override;
  void unclaim(const std::string& sidecar) override;
  Result<bool> is_claimed(const std::string& sidecar) override;
  void hold_upload(const std::string& upload_id) override;
  void release_upload(const std::string& upload_id) override;
  Result<bool> holds_upload(const std::string& upload_id) override;
  bool may_block() const override { return false; }

 private:
  std::mutex mutex_;
  std::set<std::string> claimed_;
  std::multiset<std::string> uploads_;
};

}  // namespace sfs::storage
