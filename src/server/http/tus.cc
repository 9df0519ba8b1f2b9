// tus 1.0 (tus.io/protocols/resumable-upload: core, creation, termination,
// expiration) under /tus/, on the door's login: POST makes an upload of a
// declared length to a path, PATCH appends at its offset, HEAD tells the
// offset, DELETE ends it. The bytes go into the resumable partial of
// UserFiles::begin_upload, as the sfs protocol's interrupted uploads do (the
// quota counts them; the last byte commits the file with its digest); the
// upload's id, length, offset and the digest of what is stored are in the
// shared files::UploadTable. docs/tus.md has every header and limit.

#include "dav/tus.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "asio/offload.h"
#include "files/upload_table.h"
#include "server/http/writes.h"

namespace sfs::http {
namespace {

constexpr std::string_view kTusPrefix = "/tus";
const std::string kNoSuchUpload = "no such upload (finished long ago, expired or terminated)";

// A reply of the tus face: the version header on every one.
Response tus_response(const Exchange& ex, bh::status status, const std::string& why = {}) {
  Response res = make_response(ex, status, why.empty() ? std::string() : why + "\n");
  res.set("Tus-Resumable", std::string(tus::kVersion));
  return res;
}

bool has_body(const Exchange& ex) {
  return ex.parser.chunked() || ex.parser.content_length().value_or(0) > 0;
}

// A refusal before a body is read: the connection closes after the answer
// when a body follows (unread, it must not be taken for a request).
Response refusal(Exchange& ex, bh::status status, const std::string& why) {
  if (has_body(ex)) {
    ex.keep_alive = false;
  }
  return tus_response(ex, status, why);
}

// Sends that refusal.
awaitable<Result<unsigned>> refuse(Exchange& ex, bh::status status, const std::string& why) {
  Response res = refusal(ex, status, why);
  co_return co_await send(ex, std::move(res));
}

bh::status status_for(const Error& error) {
  switch (error.code) {
    case Errc::kNotFound:
    case Errc::kNotDir:
    case Errc::kIsDir:
    case Errc::kExists:
    case Errc::kAborted:
      // No such folder, a file in the way, a folder of that name; the
      // upload's stored part gone (it starts over).
      return bh::status::conflict;
    default:
      return status_of(error);
  }
}

// The upload table's answer, from its blocking pool when it has one (a
// database): never a database call on the network threads.
template <typename F>
awaitable<std::invoke_result_t<F>> uploads_call(Exchange& ex, F fn) {
  co_return co_await call_on(ex.uploads.blocking_pool(), std::move(fn));
}

// The upload table is away (its database): 503, the client retries.
awaitable<Result<unsigned>> unavailable(Exchange& ex, const Error& error) {
  co_return co_await refuse(ex, bh::status::service_unavailable, error.message);
}

awaitable<Result<unsigned>> refuse_error(Exchange& ex, const Error& error) {
  co_return co_await refuse(ex, status_for(error), error.message);
}

void describe(Response& res, const files::UploadRecord& upload) {
  res.set("Upload-Offset", std::to_string(upload.done ? upload.length : upload.offset));
  res.set("Upload-Length", std::to_string(upload.length));
  if (!upload.done) {
    res.set("Upload-Expires", http_date(upload.expires));
  }
}

// Drops what an upload stored, if its partial is still the one it wrote (an
// upload of the same name and size may have taken it over since).
awaitable<void> discard_partial(Exchange& ex, const files::UploadRecord& upload) {
  if (upload.done) {
    co_return;
  }
  auto partial = co_await ex.files.begin_upload(upload.path, upload.length, true);
  if (!partial) {
    co_return;
  }
  const auto& offer = partial->offer();
  const bool ours = offer.held == upload.offset && offer.digest == upload.digest;
  co_await partial->stop(!ours);
}

awaitable<Result<unsigned>> options(Exchange& ex) {
  Response res = tus_response(ex, bh::status::no_content);
  res.set("Tus-Version", std::string(tus::kVersion));
  res.set("Tus-Extension", std::string(tus::kExtensions));
  res.set("Tus-Max-Size", std::to_string(ex.settings.max_file_bytes));
  co_return co_await send(ex, std::move(res));
}

// The path an upload's Upload-Metadata names (filename, or uppy's name; and
// folder), made beneath the user's root.
Result<std::string> path_of_metadata(const Exchange& ex) {
  auto metadata = tus::parse_metadata(field(ex, "Upload-Metadata"));
  if (!metadata) {
    return metadata.error();
  }
  std::string_view name = tus::value_of(*metadata, "filename");
  if (name.empty()) {
    name = tus::value_of(*metadata, "name");
  }
  return tus::target_path(tus::value_of(*metadata, "folder"), name, ex.settings.max_path_bytes);
}

// Checks the size limit, the path and the quota as an upload of the whole
// length would (nothing is written), and makes the missing folders first.
// An empty upload is stored at once.
awaitable<Result<void>> admit(Exchange& ex, const std::string& path, std::uint64_t length) {
  if (const std::size_t slash = path.rfind('/'); slash != std::string::npos) {
    const std::string folder = path.substr(0, slash);
    if (auto made = co_await ex.files.make_dir(folder, true); !made) {
      co_return made.error();
    }
  }
  auto upload = co_await ex.files.begin_upload(path, length, true);
  if (!upload) {
    co_return upload.error();
  }
  if (length == 0) {
    const std::optional<std::string> none;
    auto stored = co_await upload->finish(none);
    co_return stored ? Result<void>() : Result<void>(stored.error());
  }
  co_await upload->stop(true);  // a partial kept before stays for its owner
  co_return Result<void>();
}

awaitable<Result<unsigned>> create(Exchange& ex) {
  if (has_body(ex) || !field(ex, "Upload-Defer-Length").empty()) {
    const std::string why = "creation-with-upload and Upload-Defer-Length are not supported";
    co_return co_await refuse(ex, bh::status::bad_request, why);
  }
  auto length = tus::parse_number(field(ex, "Upload-Length"));
  if (!length) {
    const std::string why = "Upload-Length: " + length.error().message;
    co_return co_await refuse(ex, bh::status::bad_request, why);
  }
  if (*length > ex.settings.max_file_bytes) {
    const Error error = files::too_large_error(ex.settings.max_file_bytes);
    co_return co_await refuse_error(ex, error);
  }
  auto path = path_of_metadata(ex);
  if (!path) {
    co_return co_await refuse_error(ex, path.error());
  }
  ex.path = *path;
  if (auto ok = co_await admit(ex, *path, *length); !ok) {
    co_return co_await refuse_error(ex, ok.error());
  }
  const std::string_view metadata = field(ex, "Upload-Metadata");
  auto made = co_await uploads_call(
      ex, [&] { return ex.uploads.create(ex.files.user(), *path, *length, metadata); });
  if (!made && made.error().code == Errc::kIo) {
    co_return co_await unavailable(ex, made.error());
  }
  if (!made) {
    co_return co_await refuse(ex, bh::status::too_many_requests, made.error().message);
  }
  if (made->evicted) {
    co_await discard_partial(ex, *made->evicted);
  }
  if (*length == 0) {
    const std::string& id = made->upload.id;
    auto released = co_await uploads_call(
        ex, [&] { return ex.uploads.release(ex.files.user(), id, {.done = true}); });
    if (!released) {
      co_return co_await unavailable(ex, released.error());
    }
    made->upload.done = true;
  }
  Response res = tus_response(ex, bh::status::created);
  res.set(bh::field::location, std::string(kTusPrefix) + "/" + made->upload.id);
  describe(res, made->upload);
  co_return co_await send(ex, std::move(res));
}

awaitable<Result<unsigned>> head(Exchange& ex, std::string_view id) {
  auto found = co_await uploads_call(ex, [&] { return ex.uploads.find(ex.files.user(), id); });
  if (!found) {
    co_return co_await unavailable(ex, found.error());
  }
  const std::optional<files::UploadRecord>& upload = *found;
  if (!upload) {
    co_return co_await refuse(ex, bh::status::not_found, kNoSuchUpload);
  }
  ex.path = upload->path;
  Response res = tus_response(ex, bh::status::ok);
  describe(res, *upload);
  if (!upload->metadata.empty()) {
    res.set("Upload-Metadata", upload->metadata);
  }
  co_return co_await send(ex, std::move(res));
}

awaitable<Result<unsigned>> terminate(Exchange& ex, std::string_view id) {
  if (has_body(ex)) {
    const std::string why = "DELETE takes no body";
    co_return co_await refuse(ex, bh::status::bad_request, why);
  }
  auto removed = co_await uploads_call(ex, [&] { return ex.uploads.remove(ex.files.user(), id); });
  if (!removed) {
    co_return co_await unavailable(ex, removed.error());
  }
  const std::optional<files::UploadRecord>& upload = *removed;
  if (!upload) {
    co_return co_await refuse(ex, bh::status::not_found, kNoSuchUpload);
  }
  ex.path = upload->path;
  if (!upload->busy) {  // else the request writing it drops it as it ends
    co_await discard_partial(ex, *upload);
  }
  Response res = tus_response(ex, bh::status::no_content);
  co_return co_await send(ex, std::move(res));
}

// What a PATCH checks before it opens the upload's data: the refusal, or
// nullopt to go on.
std::optional<std::pair<bh::status, std::string>> check_patch(const Exchange& ex,
                                                              const files::UploadRecord& upload,
                                                              std::uint64_t offset) {
  const std::uint64_t length = ex.parser.content_length().value_or(0);
  const std::uint64_t at = upload.done ? upload.length : upload.offset;
  if (offset != at) {
    return std::pair(bh::status::conflict,
                     fmt::format("Upload-Offset {} is not the upload's offset {}", offset, at));
  }
  if (length > upload.length - offset) {
    return std::pair(bh::status::payload_too_large,
                     fmt::format("the body passes Upload-Length {}", upload.length));
  }
  return std::nullopt;
}

// Opens the upload's partial at its recorded offset. A partial that is not
// the one this upload wrote (taken over by another upload of the same name
// and size, or swept) is refused with kAborted: the upload starts over.
awaitable<Result<files::Upload>> open_partial(Exchange& ex, const files::UploadRecord& upload) {
  auto partial = co_await ex.files.begin_upload(upload.path, upload.length, true);
  if (!partial) {
    co_return partial.error();
  }
  // Not resumable: the backend keeps no partials, or another request holds
  // this name and size's. From 0 the upload still goes (stored only if this
  // request brings it whole); past 0 its bytes are out of reach now.
  if (!partial->resumable() && upload.offset > 0) {
    co_await partial->stop(false);
    co_return make_error(Errc::kExists, "another request is writing this upload's data");
  }
  const auto& offer = partial->offer();
  if (upload.offset > 0 && (offer.held != upload.offset || offer.digest != upload.digest)) {
    co_await partial->stop(true);
    co_return make_error(Errc::kAborted, "the stored part of this upload is gone; resume at 0");
  }
  if (auto ok = co_await partial->start_at(upload.offset); !ok) {
    co_await partial->stop(true);
    co_return ok.error();
  }
  co_return std::move(*partial);
}

// Streams the body into `partial` and commits it when it is complete.
// Returns what is stored (the caller stops the upload unless committed).
awaitable<std::pair<Result<void>, files::UploadProgress>> write_body(Exchange& ex,
                                                                     files::Upload& partial) {
  Result<void> got;
  if (iequal(field(ex, "Expect"), "100-continue")) {
    ex.connection.set_deadline(ex.settings.io_timeout);
    got = co_await ex.connection.write("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (got) {
    got = co_await receive_body(ex, partial);
  }
  if (!got) {
    ex.keep_alive = false;  // the rest of the body is unread
  }
  files::UploadProgress progress;
  if (partial.resumable()) {  // else what is written goes when the request ends
    progress = {.offset = partial.written(), .digest = partial.digest()};
  }
  if (got && partial.written() == partial.size()) {
    const std::optional<std::string> none;
    auto stored = co_await partial.finish(none);
    if (!stored) {
      co_return std::pair(Result<void>(stored.error()), files::UploadProgress());
    }
    progress.done = true;
  }
  co_return std::pair(std::move(got), std::move(progress));
}

// Ends a PATCH's claim on the upload `id`, recording `progress`, then lets
// the partial go (recorded first: a termination meanwhile drops it).
awaitable<void> settle(Exchange& ex, std::string_view id, const files::UploadProgress& progress,
                       std::optional<files::Upload>& partial) {
  auto released =
      co_await uploads_call(ex, [&] { return ex.uploads.release(ex.files.user(), id, progress); });
  if (!released) {  // the claim lapses in its time; the digest tells the next request
    spdlog::warn("user={} tus upload {} progress not recorded: {}", ex.files.user(), id,
                 released.error().message);
  }
  const bool kept = !released || *released;
  if (partial) {
    co_await partial->stop(kept);  // nothing to do after a commit
    partial.reset();
  }
}

// The PATCH of a claimed upload: its reply, or the error that cut the
// connection. `progress` receives what it leaves; the caller settles the
// upload before it sends the reply, whatever it is, so the client's next
// request, through this node or another, finds it free and at its offset.
awaitable<Result<Response>> patch_claimed(Exchange& ex, const files::UploadRecord& upload,
                                          std::uint64_t offset, files::UploadProgress& progress,
                                          std::optional<files::Upload>& partial) {
  if (auto refused = check_patch(ex, upload, offset)) {
    Response res = refusal(ex, refused->first, refused->second);
    describe(res, upload);
    co_return res;
  }
  if (upload.done) {  // an empty PATCH at the end: the commit's reply was lost
    Response res = tus_response(ex, bh::status::no_content);
    describe(res, upload);
    co_return res;
  }
  auto opened = co_await open_partial(ex, upload);
  if (!opened) {
    if (opened.error().code == Errc::kAborted) {
      progress = {};  // the client asks HEAD, hears 0, and sends it all again
    }
    const auto status =
        opened.error().code == Errc::kExists ? bh::status::locked : status_for(opened.error());
    co_return refusal(ex, status, opened.error().message);
  }
  partial.emplace(std::move(*opened));
  auto [got, left] = co_await write_body(ex, *partial);
  progress = std::move(left);
  if (!got) {
    if (got.error().code == Errc::kNetwork) {
      co_return got.error();
    }
    co_return tus_response(ex, status_of(got.error()), got.error().message);
  }
  files::UploadRecord now = upload;
  now.offset = progress.offset;
  now.done = progress.done;
  Response res = tus_response(ex, bh::status::no_content);
  describe(res, now);
  co_return res;
}

awaitable<Result<unsigned>> patch_upload(Exchange& ex, std::string_view id) {
  if (!tus::is_patch_type(field(ex, "Content-Type"))) {
    const std::string why = "Content-Type " + std::string(tus::kPatchType) + " required";
    co_return co_await refuse(ex, bh::status::unsupported_media_type, why);
  }
  auto offset = tus::parse_number(field(ex, "Upload-Offset"));
  if (!offset) {
    const std::string why = "Upload-Offset: " + offset.error().message;
    co_return co_await refuse(ex, bh::status::bad_request, why);
  }
  if (ex.parser.chunked() || !ex.parser.content_length()) {
    const std::string why = "Content-Length required";
    co_return co_await refuse(ex, bh::status::length_required, why);
  }
  auto upload = co_await uploads_call(ex, [&] { return ex.uploads.claim(ex.files.user(), id); });
  if (!upload && upload.error().code == Errc::kIo) {
    co_return co_await unavailable(ex, upload.error());
  }
  if (!upload) {
    const bool busy = upload.error().code == Errc::kExists;
    co_return co_await refuse(ex, busy ? bh::status::locked : bh::status::not_found,
                              upload.error().message);
  }
  ex.path = upload->path;
  files::UploadProgress progress{upload->offset, upload->digest, upload->done};
  std::optional<files::Upload> partial;
  auto reply = co_await patch_claimed(ex, *upload, *offset, progress, partial);
  co_await settle(ex, id, progress, partial);
  if (!reply) {
    co_return reply.error();
  }
  co_return co_await send(ex, std::move(*reply));
}

}  // namespace

bool is_tus_target(std::string_view target) {
  target = target.substr(0, target.find('?'));
  return target == kTusPrefix || target.starts_with(std::string(kTusPrefix) + "/");
}

awaitable<Result<unsigned>> tus(Exchange& ex) {
  std::string_view target = sv(ex.request().target());
  target = target.substr(0, target.find('?'));
  target.remove_prefix(kTusPrefix.size());
  while (!target.empty() && target.front() == '/') {
    target.remove_prefix(1);
  }
  const std::string_view method = sv(ex.request().method_string());
  if (method != "PATCH" && has_body(ex)) {
    ex.keep_alive = false;  // no other method reads a body: it stays unread
  }
  if (method == "OPTIONS") {
    co_return co_await options(ex);
  }
  if (field(ex, "Tus-Resumable") != tus::kVersion) {
    Response res =
        tus_response(ex, bh::status::precondition_failed, "Tus-Resumable: 1.0.0 required");
    res.set("Tus-Version", std::string(tus::kVersion));
    ex.keep_alive = ex.keep_alive && !has_body(ex);  // a PATCH's body is unread
    co_return co_await send(ex, std::move(res));
  }
  const bool collection = target.empty();
  if (!collection && !tus::is_upload_id(target)) {
    co_return co_await refuse(ex, bh::status::not_found, kNoSuchUpload);
  }
  if (collection && method == "POST") {
    co_return co_await create(ex);
  }
  if (!collection && method == "HEAD") {
    co_return co_await head(ex, target);
  }
  if (!collection && method == "PATCH") {
    co_return co_await patch_upload(ex, target);
  }
  if (!collection && method == "DELETE") {
    co_return co_await terminate(ex, target);
  }
  Response res = tus_response(ex, bh::status::method_not_allowed, "method not allowed here");
  res.set(bh::field::allow, collection ? "OPTIONS, POST" : "OPTIONS, HEAD, PATCH, DELETE");
  ex.keep_alive = ex.keep_alive && !has_body(ex);
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
