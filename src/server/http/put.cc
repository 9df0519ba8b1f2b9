// PUT: a file's whole content from the request's body, streamed into an
// upload that becomes visible only when it is complete (docs/webdav.md).

#include "server/http/exchange.h"

namespace sfs::http {
namespace {

// Refusals before the body is read close the connection (unless there is
// no body), so that the unread body is never taken for a request.
awaitable<Result<unsigned>> refuse_put(Exchange& ex, bh::status status, const std::string& why) {
  if (ex.parser.content_length().value_or(0) > 0) {
    ex.keep_alive = false;
  }
  Response res = make_response(ex, status, why + "\n");
  co_return co_await send(ex, std::move(res));
}

}  // namespace

awaitable<Result<unsigned>> put(Exchange& ex) {
  const auto length = ex.parser.content_length();
  if (!length) {
    const std::string why = "Content-Length required";
    co_return co_await refuse_put(ex, bh::status::length_required, why);
  }
  auto existing = co_await stat_path(ex.files, ex.path);
  if (existing && existing->is_dir) {
    const std::string why = "a collection";
    co_return co_await refuse_put(ex, bh::status::method_not_allowed, why);
  }
  if (const auto refused = precondition(ex, existing ? &*existing : nullptr, false)) {
    const std::string why = "precondition failed";
    co_return co_await refuse_put(ex, *refused, why);
  }
  auto upload = co_await ex.files.begin_upload(ex.path, *length, false);
  if (!upload) {
    const Errc code = upload.error().code;
    const bool conflict = code == Errc::kNotFound || code == Errc::kNotDir;
    co_return co_await refuse_put(ex, conflict ? bh::status::conflict : status_of(upload.error()),
                                  upload.error().message);
  }
  if (auto ok = co_await upload->start_at(0); !ok) {
    co_return co_await refuse_put(ex, status_of(ok.error()), ok.error().message);
  }
  if (iequal(field(ex, "Expect"), "100-continue")) {
    ex.connection.set_deadline(ex.settings.io_timeout);
    if (auto ok = co_await ex.connection.write("HTTP/1.1 100 Continue\r\n\r\n"); !ok) {
      co_return ok.error();
    }
  }
  if (auto got = co_await receive_body(ex, *upload); !got) {
    co_await upload->stop(false);
    if (got.error().code == Errc::kNetwork) {
      co_return got.error();
    }
    ex.keep_alive = false;  // the rest of the body is unread
    co_return co_await send_error(ex, got.error());
  }
  const std::optional<std::string> none;
  auto stored = co_await upload->finish(none);
  if (!stored) {
    co_return co_await send_error(ex, stored.error());
  }
  Response res = make_response(ex, existing ? bh::status::no_content : bh::status::created);
  res.set(bh::field::etag, "\"" + stored->digest + "\"");
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
