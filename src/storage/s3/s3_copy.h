#pragma once
// Server-side copies of any size: S3 copies an object of up to 5 GiB with
// one CopyObject; a larger one is copied in parts into a multipart upload
// (UploadPartCopy), made visible only by its completion, as an upload is.
//
//   SFS_CO_RETURN_IF_ERROR(co_await copy_whole(shared, from_key, to_key, size, std::nullopt));

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {

// Copies the object `from` (`size` bytes) to `to`, which may be `from`
// itself (to give it new metadata): one CopyObject up to
// Shared::max_single_copy bytes, above in parts of at least
// Shared::part_size (more when 10,000 parts would not hold it). With
// `metadata`, the copy gets it; without, the source's. A copy in parts
// that fails is aborted: `to` is then as it was.
awaitable<Result<void>> copy_whole(std::shared_ptr<Shared> shared, std::string from, std::string to,
                                   std::uint64_t size, std::optional<Metadata> metadata);

}  // namespace sfs::storage::s3
