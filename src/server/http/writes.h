#pragma once
// Internal to the HTTPS door: what PUT (put.cc) and PATCH (patch.cc), the
// two methods that stream a body into an upload, share.

#include <string>

#include "server/http/exchange.h"

namespace sfs::http {

// Answers before the body is read. The connection closes after the answer
// when a body follows (it is left unread, and must not be taken for the
// next request).
awaitable<Result<unsigned>> refuse_before_body(Exchange& ex, bh::status status,
                                               const std::string& why);
// Sends "100 Continue" when the client waits for it, then streams the body
// into `upload`. On failure the upload is stopped (nothing stored) and the
// connection will close after the answer (the body's rest is unread).
awaitable<Result<void>> take_body(Exchange& ex, files::Upload& upload);
// The answer to take_body's failure: none when the connection broke
// (kNetwork comes back), else the error's status and message.
awaitable<Result<unsigned>> answer_body_error(Exchange& ex, const Error& error);

}  // namespace sfs::http
