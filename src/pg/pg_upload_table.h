#pragma once
// The tus uploads in progress of a cluster in PostgreSQL (table
// sfs_uploads, pg/schema.cc): the files::UploadTable every node shares,
// so that an upload begun through one node goes on through another
// (docs/cluster.md; the bytes are in the shared storage).
//
//   pg::PgUploadTable uploads(db, {.ttl = partial_ttl, .max_per_user = 64});
//   auto up = co_await call_on(uploads.blocking_pool(), [&] { return uploads.claim(u, id); });
//
// The semantics are MemoryUploadTable's: the cap per user with the least
// recently used idle upload evicted, expiry after `ttl` unused, one
// request at a time per upload (claim). A claim is a lease in the row
// (busy_until, the database's clock): a node that dies mid-PATCH holds the
// upload only until it ends; a claim lives `claim_lease`, which must
// outlast the longest PATCH. release() writes the progress only while the
// claim is still this request's (a random claim id in the row); a claim
// that lapsed and was taken by another request writes nothing (the
// partial's digest tells the next request what is stored). Every call
// blocks: run them on blocking_pool(). A database failure is kIo.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "asio/asio.h"
#include "files/upload_table.h"
#include "pg/database.h"

namespace sfs::pg {

struct PgUploadSettings {
  std::chrono::seconds ttl{24 * 3600};
  std::size_t max_per_user = 64;
  std::chrono::seconds claim_lease{3600};
};

class PgUploadTable final : public files::UploadTable {
 public:
  PgUploadTable(std::shared_ptr<Database> db, PgUploadSettings settings);

  Result<Created> create(std::string_view user, std::string_view path, std::uint64_t length,
                         std::string_view metadata) override;
  Result<std::optional<files::UploadRecord>> find(std::string_view user,
                                                  std::string_view id) override;
  Result<files::UploadRecord> claim(std::string_view user, std::string_view id) override;
  Result<bool> release(std::string_view user, std::string_view id,
                       const files::UploadProgress& progress) override;
  Result<std::optional<files::UploadRecord>> remove(std::string_view user,
                                                    std::string_view id) override;
  Result<std::size_t> sweep() override;
  asio::thread_pool* blocking_pool() override { return &pool_; }

 private:
  std::shared_ptr<Database> db_;
  PgUploadSettings settings_;
  // The claim id of each upload this node's requests hold, by upload id.
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> claims_;
  asio::thread_pool pool_{2};
};

}  // namespace sfs::pg
