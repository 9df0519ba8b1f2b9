#include "storage/s3/s3_copy.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace sfs::storage::s3 {
namespace {

// The part size for `size` bytes: the backend's, or larger when 10,000
// parts of it would not hold the object.
std::uint64_t part_size_for(std::uint64_t size, std::uint64_t part_size) {
  const std::uint64_t parts = kMaxPartNumber;
  return std::max(part_size, (size + parts - 1) / parts);
}

awaitable<Result<std::vector<PartEntry>>> copy_parts(const std::shared_ptr<Shared>& shared,
                                                     const std::string& from, const std::string& to,
                                                     const std::string& upload_id,
                                                     const ObjectInfo& source) {
  const std::uint64_t size = source.size;
  const std::uint64_t part = part_size_for(size, shared->part_size);
  std::vector<PartEntry> parts;
  int number = 1;
  for (std::uint64_t first = 0; first < size; first += part, ++number) {
    const std::uint64_t last = std::min(size, first + part) - 1;
    SFS_CO_ASSIGN_OR_RETURN(
        std::string etag, co_await shared->s3->upload_part_copy(to, upload_id, number, from, first,
                                                                last, source.etag));
    parts.push_back({number, last - first + 1, std::move(etag)});
  }
  co_return parts;
}

}  // namespace

awaitable<Result<void>> copy_whole(std::shared_ptr<Shared> shared, std::string from, std::string to,
                                   std::uint64_t size, std::optional<Metadata> metadata) {
  if (size <= shared->max_single_copy) {
    SFS_CO_RETURN_IF_ERROR(co_await shared->s3->copy_object(from, to, std::move(metadata)));
    co_return Result<void>();
  }
  // The version every part comes from (and, unless given, the metadata: a
  // multipart upload takes it at its start).
  SFS_CO_ASSIGN_OR_RETURN(ObjectInfo source, co_await shared->s3->head_object(from));
  if (source.size != size || source.etag.empty()) {
    co_return make_error(Errc::kIo, "changed while being copied");
  }
  if (!metadata) {
    metadata = source.metadata;
  }
  SFS_CO_ASSIGN_OR_RETURN(std::string upload_id,
                          co_await shared->s3->create_multipart(to, *metadata));
  shared->hold_upload(upload_id);  // the stale sweep leaves it alone
  auto parts = co_await copy_parts(shared, from, to, upload_id, source);
  Result<void> done;
  if (parts) {
    auto completed = co_await shared->s3->complete_multipart(to, upload_id, std::move(*parts));
    done = completed ? Result<void>() : Result<void>(completed.error());
  } else {
    done = parts.error();
  }
  if (!done) {
    (void)co_await shared->s3->abort_multipart(to, upload_id);
  }
  shared->release_upload(upload_id);
  co_return done;
}

}  // namespace sfs::storage::s3
