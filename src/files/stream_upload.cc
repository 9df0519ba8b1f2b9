// Uploads whose size is unknown before their data (an HTTP body in
// chunks): admitted against the size limit and the quota as the bytes
// come, the quota reserved in steps.

#include <algorithm>
#include <utility>

#include "files/user_files.h"

namespace sfs::files {
namespace {

// The quota is reserved this much ahead of the bytes (fewer calls to the
// books), or exactly what is needed when a step does not fit: so an upload
// is refused only when its bytes would pass the quota.
constexpr std::uint64_t kQuotaStepBytes = std::uint64_t{4} << 20;

}  // namespace

awaitable<Result<Upload>> UserFiles::begin_streamed_upload(std::string_view path) {
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  std::string name(path);
  auto created = co_await space_->create(name, std::nullopt);
  if (!created) {
    co_return created.error();
  }
  auto reservation = co_await reserve_upload(name, 0);  // a new name's entry
  if (!reservation) {
    co_await (*created)->discard();
    co_return reservation.error();
  }
  Upload upload(*this, std::move(*created), std::move(*reservation), 0);
  upload.streamed_ = true;
  if (services_.quota.enabled()) {
    upload.replaced_ = co_await space_->size_of(name);
  }
  co_return std::move(upload);
}

Result<void> Upload::admit(std::uint64_t total) {
  if (total > files_->limits_.max_file_bytes) {
    return too_large_error(files_->limits_.max_file_bytes);
  }
  Quota& quota = files_->services_.quota;
  if (!quota.enabled() || total <= admitted_) {
    return {};
  }
  const std::uint64_t needed = total - admitted_;
  std::uint64_t step = std::max(needed, kQuotaStepBytes);
  auto held = quota.reserve(files_->user_, {step, 0}, replaced_);
  if (!held && step > needed) {
    step = needed;
    held = quota.reserve(files_->user_, {step, 0}, replaced_);
  }
  if (!held) {
    return held.error();
  }
  steps_.push_back(std::move(*held));
  admitted_ += step;
  return {};
}

}  // namespace sfs::files
