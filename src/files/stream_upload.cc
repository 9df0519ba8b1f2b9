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

awaitable<Result<void>> Upload::admit(std::uint64_t total) {
  if (total > files_->limits_.max_file_bytes) {
    co_return too_large_error(files_->limits_.max_file_bytes);
  }
  Quota& quota = files_->services_.quota;
  if (!quota.enabled() || total <= admitted_) {
    co_return Result<void>();
  }
  const std::uint64_t needed = total - admitted_;
  std::uint64_t step = std::max(needed, kQuotaStepBytes);
  const std::string& user = files_->user_;
  const std::uint64_t replaced = replaced_;
  auto reserve = [&quota, &user, &step, replaced] {
    return quota.reserve(user, {step, 0}, replaced);
  };
  auto held = co_await quota_call(quota, reserve);
  if (!held && step > needed) {
    step = needed;
    held = co_await quota_call(quota, reserve);
  }
  if (!held) {
    co_return held.error();
  }
  steps_.push_back(std::move(*held));
  admitted_ += step;
  co_return Result<void>();
}

}  // namespace sfs::files
