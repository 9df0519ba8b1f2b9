// PATCH with sabre's partial update (docs/webdav.md): X-Update-Range says
// where the body's bytes go; the file is rebuilt as a new upload from its
// old content and committed whole (files/patch.h), so a reader never sees
// half a patch and the ETag is the new content's digest. "append" is how
// dufs-style clients resume an upload.

#include "files/patch.h"

#include "dav/update_range.h"
#include "server/http/writes.h"

namespace sfs::http {
namespace {

constexpr std::string_view kPartialUpdate = "application/x-sabredav-partialupdate";

bool is_partial_update(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  return iequal(type.substr(0, std::min(type.find(' '), type.size())), kPartialUpdate);
}

// Checks what can be checked before the file is touched: the body's type,
// its length and the range. The refusal to send, or nullopt.
std::optional<std::pair<bh::status, std::string>> check_request(Exchange& ex,
                                                                files::PatchRange& range) {
  if (!is_partial_update(field(ex, "Content-Type"))) {
    return std::pair(bh::status::unsupported_media_type,
                     "Content-Type " + std::string(kPartialUpdate) + " required");
  }
  const auto length = ex.parser.content_length();
  if (!length) {
    return std::pair(bh::status::length_required, std::string("Content-Length required"));
  }
  auto where = dav::parse_update_range(field(ex, "X-Update-Range"), *length);
  if (!where) {
    const bool bad = where.error().code == Errc::kBadRequest;
    return std::pair(bad ? bh::status::bad_request : bh::status::range_not_satisfiable,
                     where.error().message);
  }
  range = {where->from_end ? files::PatchRange::Anchor::kEnd : files::PatchRange::Anchor::kStart,
           where->offset, *length};
  return std::nullopt;
}

awaitable<Result<unsigned>> refuse_patch(Exchange& ex, const Error& error) {
  bh::status status = status_of(error);
  if (error.code == Errc::kBadRequest) {
    status = bh::status::range_not_satisfiable;  // a start past the end
  }
  co_return co_await refuse_before_body(ex, status, error.message);
}

}  // namespace

awaitable<Result<unsigned>> patch(Exchange& ex) {
  files::PatchRange range;
  if (auto refused = check_request(ex, range)) {
    co_return co_await refuse_before_body(ex, refused->first, refused->second);
  }
  auto existing = co_await stat_path(ex.files, ex.path);
  if (!existing) {
    co_return co_await refuse_before_body(ex, status_of(existing.error()),
                                          existing.error().message);
  }
  if (existing->is_dir) {
    const std::string why = "a collection";
    co_return co_await refuse_before_body(ex, bh::status::method_not_allowed, why);
  }
  if (const auto refused = precondition(ex, &*existing, false)) {
    const std::string why = "precondition failed";
    co_return co_await refuse_before_body(ex, *refused, why);
  }
  auto update = co_await ex.files.begin_patch(ex.path, range);
  if (!update) {
    co_return co_await refuse_patch(ex, update.error());
  }
  if (auto got = co_await take_body(ex, update->upload()); !got) {
    co_return co_await answer_body_error(ex, got.error());
  }
  auto stored = co_await update->finish();
  if (!stored) {
    co_return co_await send_error(ex, stored.error());
  }
  Response res = make_response(ex, bh::status::no_content);
  res.set(bh::field::etag, "\"" + stored->digest + "\"");
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
