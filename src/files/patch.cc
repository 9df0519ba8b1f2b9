// UserFiles::begin_patch and Patch: a partial update as a whole new
// upload built from a snapshot of the old content (files/patch.h).

#include "files/patch.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace sfs::files {
namespace {

constexpr std::size_t kCopyPieceBytes = std::size_t{256} << 10;

// Where the range starts in a file of `size` bytes; nullopt for a start
// past the end (a hole) or before the beginning.
std::optional<std::uint64_t> start_of(const PatchRange& range, std::uint64_t size) {
  if (range.anchor == PatchRange::Anchor::kStart) {
    return range.offset <= size ? std::optional(range.offset) : std::nullopt;
  }
  return range.offset <= size ? std::optional(size - range.offset) : std::nullopt;
}

}  // namespace

awaitable<Result<Patch>> UserFiles::begin_patch(std::string_view path, PatchRange range) {
  // The snapshot the new content is built from (a replace meanwhile does
  // not change it), hashed as it is read for the bitrot check.
  auto old = co_await open_download(path, 0, {});
  if (!old) {
    co_return old.error();
  }
  const std::uint64_t size = old->size();
  const auto start = start_of(range, size);
  if (!start) {
    co_return make_error(Errc::kBadRequest, "range starts past the end of the file");
  }
  if (range.length > limits_.max_file_bytes - std::min(*start, limits_.max_file_bytes)) {
    co_return too_large_error(limits_.max_file_bytes);
  }
  const std::uint64_t new_size = std::max(size, *start + range.length);
  auto upload = co_await begin_upload(path, new_size, false);
  if (!upload) {
    co_return upload.error();
  }
  if (auto ok = co_await upload->start_at(0); !ok) {
    co_await upload->stop(false);
    co_return ok.error();
  }
  Patch patch(std::move(*old), std::move(*upload), *start, range.length);
  if (auto ok = co_await patch.take_old(*start, true); !ok) {
    co_await patch.stop();
    co_return ok.error();
  }
  co_return std::move(patch);
}

awaitable<Result<void>> Patch::take_old(std::uint64_t end, bool keep) {
  const auto piece = std::make_unique<char[]>(kCopyPieceBytes);
  while (read_ < end) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(end - read_, kCopyPieceBytes));
    auto got = co_await old_.read(piece.get(), want);
    if (!got) {
      co_return got.error();
    }
    if (*got == 0) {
      co_return make_error(Errc::kIo, "file ended early");
    }
    read_ += *got;
    if (keep) {
      if (auto ok = co_await upload_.write(piece.get(), *got); !ok) {
        co_return ok;
      }
    }
  }
  co_return Result<void>();
}

awaitable<Result<Upload::Stored>> Patch::finish() {
  if (upload_.written() != start_ + length_) {
    co_await stop();
    co_return make_error(Errc::kBadRequest, "the body is not as long as the range");
  }
  const std::uint64_t size = old_.size();
  const std::uint64_t overwritten = std::min(size, start_ + length_);
  Result<void> ok = co_await take_old(overwritten, false);  // read for the digest check only
  if (ok) {
    ok = co_await take_old(size, true);
  }
  if (ok) {
    ok = old_.check();
  }
  if (!ok) {
    co_await stop();
    co_return ok.error();
  }
  const std::optional<std::string> none;
  co_return co_await upload_.finish(none);
}

}  // namespace sfs::files
