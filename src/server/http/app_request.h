#pragma once
// Internal to the browser app (app.cc, app_api.cc): one request being
// served and the replies its handlers share.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/web_sessions.h"
#include "server/http/app.h"
#include "web/form.h"

namespace sfs::http {

struct AppRequest {
  AppConnection& c;
  beast::flat_buffer& buffer;
  HeaderParser& parser;
  Header header;                      // the request's line and fields
  std::string route;                  // the target's path: "/app/api/list"
  std::vector<web::FormField> query;  // the target's query
  std::vector<web::FormField> form;   // a POST's body
  std::string session_id;             // the cookie, when it names a live session
  std::optional<auth::WebSession> session;
  bool keep_alive = true;
  // A body the handler streams itself (a tus PATCH) is still unread when
  // the route's checks refuse it: the connection then closes.
  bool body_unread = false;
  std::uint64_t bytes = 0;  // body bytes moved, for the log
};

// A reply with the app's headers and a small body.
Response app_response(const AppRequest& r, bh::status status, std::string body = {},
                      std::string_view content_type = "text/plain; charset=utf-8");
// Writes `response` under the io deadline.
awaitable<Result<unsigned>> reply(AppRequest& r, Response& response);
// A one-line text reply ("session expired; log in again").
// (`text` must outlive the call: a literal, or the caller's.)
awaitable<Result<unsigned>> reply_text(AppRequest& r, bh::status status, std::string_view text);
// The request's `name` parameter (query, then form) as a path in the
// user's space: slashes at both ends dropped. Empty when absent.
std::string path_param(const AppRequest& r, std::string_view name);

// The API (app_api.cc): each checked by serve_app for its session and CSRF
// token first, as the route table says.
awaitable<Result<unsigned>> api_login(AppRequest& r);
awaitable<Result<unsigned>> api_logout(AppRequest& r);
awaitable<Result<unsigned>> api_session(AppRequest& r);
awaitable<Result<unsigned>> api_list(AppRequest& r);
awaitable<Result<unsigned>> api_download(AppRequest& r);
// A folder as a streamed ZIP archive (app_zip.cc).
awaitable<Result<unsigned>> api_zip(AppRequest& r);
awaitable<Result<unsigned>> api_mkdir(AppRequest& r);
awaitable<Result<unsigned>> api_move(AppRequest& r);
awaitable<Result<unsigned>> api_delete(AppRequest& r);
// tus (docs/tus.md) under /tus/ with the session instead of Basic.
awaitable<Result<unsigned>> api_tus(AppRequest& r);

}  // namespace sfs::http
