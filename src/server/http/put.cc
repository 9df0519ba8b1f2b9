// PUT: a file's whole content from the request's body, streamed into an
// upload that becomes visible only when it is complete (docs/webdav.md).
// A body in chunks (davfs2, GNOME Files, Windows) is admitted against the
// size limit and the quota as it comes; X-OC-Mtime (ownCloud clients,
// rclone's owncloud vendor) sets the stored file's modification time.

#include <charconv>

#include "files/user_files.h"
#include "server/http/writes.h"

namespace sfs::http {
namespace {

// 9999-12-31T23:59:59Z: later is nonsense from a client.
constexpr std::int64_t kLatestMtime = 253402300799;

// The seconds of an X-OC-Mtime value ("1700000000", or with a fraction,
// which is dropped); nullopt for anything else, which is ignored.
std::optional<std::int64_t> oc_mtime(std::string_view text) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (dot != std::string_view::npos &&
      text.substr(dot + 1).find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (whole.empty() || ec != std::errc() || end != whole.data() + whole.size() || seconds <= 0 ||
      seconds > kLatestMtime) {
    return std::nullopt;
  }
  return seconds;
}

// An upload of the declared length, or one admitted as its chunks come.
awaitable<Result<files::Upload>> begin_put(Exchange& ex, boost::optional<std::uint64_t> length) {
  if (!length) {
    co_return co_await ex.files.begin_streamed_upload(ex.path);
  }
  auto upload = co_await ex.files.begin_upload(ex.path, *length, false);
  if (upload) {
    if (auto ok = co_await upload->start_at(0); !ok) {
      co_return ok.error();
    }
  }
  co_return std::move(upload);
}

}  // namespace

awaitable<Result<unsigned>> refuse_before_body(Exchange& ex, bh::status status,
                                               const std::string& why) {
  if (ex.parser.chunked() || ex.parser.content_length().value_or(0) > 0) {
    ex.keep_alive = false;
  }
  Response res = make_response(ex, status, why + "\n");
  co_return co_await send(ex, std::move(res));
}

awaitable<Result<void>> take_body(Exchange& ex, files::Upload& upload) {
  if (iequal(field(ex, "Expect"), "100-continue")) {
    ex.connection.set_deadline(ex.settings.io_timeout);
    if (auto ok = co_await ex.connection.write("HTTP/1.1 100 Continue\r\n\r\n"); !ok) {
      co_await upload.stop(false);
      co_return ok.error();
    }
  }
  auto got = co_await receive_body(ex, upload);
  if (!got) {
    co_await upload.stop(false);
    ex.keep_alive = false;  // the rest of the body is unread
  }
  co_return got;
}

awaitable<Result<unsigned>> answer_body_error(Exchange& ex, const Error& error) {
  if (error.code == Errc::kNetwork) {
    co_return error;
  }
  co_return co_await send_error(ex, error);
}

awaitable<Result<unsigned>> put(Exchange& ex) {
  const auto length = ex.parser.content_length();
  if (!length && !ex.parser.chunked()) {
    const std::string why = "Content-Length or chunks required";
    co_return co_await refuse_before_body(ex, bh::status::length_required, why);
  }
  auto existing = co_await stat_path(ex.files, ex.path);
  if (existing && existing->is_dir) {
    const std::string why = "a collection";
    co_return co_await refuse_before_body(ex, bh::status::method_not_allowed, why);
  }
  if (const auto refused = precondition(ex, existing ? &*existing : nullptr, false)) {
    const std::string why = "precondition failed";
    co_return co_await refuse_before_body(ex, *refused, why);
  }
  auto upload = co_await begin_put(ex, length);
  if (!upload) {
    const Errc code = upload.error().code;
    const bool conflict = code == Errc::kNotFound || code == Errc::kNotDir;
    co_return co_await refuse_before_body(
        ex, conflict ? bh::status::conflict : status_of(upload.error()), upload.error().message);
  }
  const auto mtime = oc_mtime(field(ex, "X-OC-Mtime"));
  if (mtime) {
    upload->set_mtime(*mtime);
  }
  if (auto got = co_await take_body(ex, *upload); !got) {
    co_return co_await answer_body_error(ex, got.error());
  }
  const std::optional<std::string> none;
  auto stored = co_await upload->finish(none);
  if (!stored) {
    co_return co_await send_error(ex, stored.error());
  }
  Response res = make_response(ex, existing ? bh::status::no_content : bh::status::created);
  res.set(bh::field::etag, "\"" + stored->digest + "\"");
  if (mtime) {
    res.set("X-OC-MTime", "accepted");
  }
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
