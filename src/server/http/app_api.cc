// The browser app's API (docs/webapp.md): login and logout with a session
// cookie, and the user's files through UserFiles. Folder changes and
// downloads run through the door's WebDAV methods (dispatch), so locks,
// conditions and error statuses are the same on both faces.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "asio/offload.h"
#include "protocol/percent.h"
#include "server/http/app_request.h"
#include "web/json.h"

namespace sfs::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string session_cookie(std::string_view id, bool end) {
  return fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Strict{}", kSessionCookie, id,
                     end ? "; Max-Age=0" : "");
}

std::string session_json(const std::string& user, const std::string& csrf) {
  return "{\"user\":" + web::json_string(user) + ",\"csrf\":" + web::json_string(csrf) + "}";
}

// A new session for `identity`, its cookie set and its token in the body.
awaitable<Result<unsigned>> start_session(AppRequest& r, const auth::Identity& identity) {
  auto& table = r.c.services.web_sessions;
  asio::thread_pool* pool = table.blocking_pool();
  if (!r.session_id.empty()) {  // the browser's earlier login, if any
    const std::string earlier = r.session_id;
    if (auto ended = co_await call_on(pool, [&] { return table.end(earlier); }); !ended) {
      co_return co_await reply_text(r, bh::status::service_unavailable, ended.error().message);
    }
  }
  auto made = co_await call_on(pool, [&] { return table.create(identity.user, identity.version); });
  if (!made) {
    co_return co_await reply_text(r, bh::status::service_unavailable, made.error().message);
  }
  if (!r.c.files) {
    auto files = co_await r.c.services.open_files(identity);
    if (!files) {
      const std::string id = made->id;
      static_cast<void>(co_await call_on(pool, [&] { return table.end(id); }));  // else it expires
      r.keep_alive = false;
      co_return co_await reply_text(r, bh::status::service_unavailable, files.error().message);
    }
    r.c.files.emplace(std::move(*files));
  } else if (r.c.files->user() != identity.user) {
    r.keep_alive = false;  // the connection is another user's: the next request comes on a new one
  }
  spdlog::info("user={} peer={} https login ok check={} (browser session)", identity.user,
               r.c.peer.peer, identity.check_name());
  Response res = app_response(r, bh::status::ok, session_json(identity.user, made->session.csrf),
                              "application/json");
  res.set(bh::field::set_cookie, session_cookie(made->id, false));
  co_return co_await reply(r, res);
}

// The answer to a login that did not succeed: the door's words and
// statuses, without a Basic challenge (a browser would ask in a dialog).
awaitable<Result<unsigned>> refuse_login(AppRequest& r, const auth::LoginOutcome& outcome) {
  using Kind = auth::LoginOutcome::Kind;
  if (outcome.kind == Kind::kClosed) {
    co_return make_error(Errc::kNetwork, "closed during the login");
  }
  const auto status = outcome.kind == Kind::kFailed    ? bh::status::unauthorized
                      : outcome.kind == Kind::kRefused ? bh::status::too_many_requests
                                                       : bh::status::service_unavailable;
  Response res = app_response(r, status, outcome.message() + "\n");
  if (outcome.kind != Kind::kFailed) {
    res.set(bh::field::retry_after, std::to_string(std::max<long>(outcome.retry_after.count(), 1)));
  }
  r.keep_alive = r.keep_alive && outcome.kind == Kind::kFailed &&
                 ++r.c.failures < r.c.settings.max_login_attempts;
  co_return co_await reply(r, res);
}

// The door's exchange for an app request whose checks passed, with the
// app's headers (`csp`) on its replies.
Exchange app_exchange(AppRequest& r, std::string_view csp) {
  Exchange ex{.connection = r.c.connection,
              .buffer = r.buffer,
              .parser = r.parser,
              .files = *r.c.files,
              .locks = r.c.services.locks,
              .uploads = r.c.services.uploads,
              .memory = r.c.services.transfer_memory,
              .settings = r.c.settings,
              .header = r.header,
              .keep_alive = r.keep_alive};
  ex.csp = csp;
  ex.hsts = r.c.settings.hsts;
  return ex;
}

// Runs `method` of the WebDAV table on `path` for the app: its statuses,
// locks and conditions, with the app's headers.
awaitable<Result<unsigned>> run_method(AppRequest& r, bh::verb method, std::string path,
                                       std::string_view csp) {
  Exchange ex = app_exchange(r, csp);
  ex.path = std::move(path);
  ex.header.method(method);
  for (const char* name : {"If", "Destination", "Overwrite", "Depth", "If-Match", "If-None-Match",
                           "If-Modified-Since", "If-Unmodified-Since"}) {
    ex.header.erase(name);  // only what the app sets below counts
  }
  if (method == bh::verb::move) {
    ex.header.set("Destination",
                  std::string(kDavPrefix) + "/" + protocol::percent_encode(path_param(r, "to")));
    ex.header.set("Overwrite", "F");  // a name taken is refused (412), never replaced
  }
  if (method == bh::verb::get) {
    const std::size_t slash = ex.path.rfind('/');
    ex.disposition = web::attachment_disposition(
        slash == std::string::npos ? ex.path : ex.path.substr(slash + 1));
  }
  auto status = co_await dispatch(ex);
  r.keep_alive = ex.keep_alive;
  r.bytes = ex.bytes;
  co_return status;
}

std::string entry_json(const storage::DirEntry& e) {
  return fmt::format("{{\"name\":{},\"dir\":{},\"size\":{},\"mtime\":{}}}",
                     web::json_string(e.name), e.is_dir ? "true" : "false", e.size, e.mtime);
}

}  // namespace

awaitable<Result<unsigned>> api_login(AppRequest& r) {
  const std::string* user = web::form_value(r.form, "user");
  const std::string* password = web::form_value(r.form, "password");
  if (user == nullptr || password == nullptr || user->empty()) {
    co_return co_await reply_text(r, bh::status::bad_request, "user and password required");
  }
  const std::string label = protocol::percent_encode(*user);
  const auto deadline = r.c.files ? Clock::now() + r.c.settings.io_timeout : r.c.login_deadline;
  const auth::LoginRequest request{.source = r.c.peer.source,
                                   .peer = r.c.peer.peer,
                                   .user = *user,
                                   .user_label = label,
                                   .password = *password,
                                   .deadline = deadline};
  net::Connection& connection = r.c.connection;
  Services& services = r.c.services;
  const auth::LoginHooks hooks{
      .on_hold = {},
      .on_wait = [&connection](bool waiting) { connection.set_idle(waiting); },
      .stopping = [&services] { return services.draining(); }};
  connection.set_deadline(std::chrono::duration_cast<std::chrono::seconds>(
      deadline - Clock::now() + services.authenticator.longest_hold() + r.c.settings.io_timeout));
  const auth::LoginOutcome outcome = co_await services.authenticator.log_in(request, hooks);
  r.c.login_deadline += outcome.held;
  if (outcome.kind == auth::LoginOutcome::Kind::kLoggedIn) {
    co_return co_await start_session(r, *outcome.identity);
  }
  co_return co_await refuse_login(r, outcome);
}

awaitable<Result<unsigned>> api_logout(AppRequest& r) {
  auto& table = r.c.services.web_sessions;
  const std::string id = r.session_id;
  if (auto ended = co_await call_on(table.blocking_pool(), [&] { return table.end(id); }); !ended) {
    co_return co_await reply_text(r, bh::status::service_unavailable, ended.error().message);
  }
  spdlog::info("user={} peer={} https logout (browser session ended)", r.session->user,
               r.c.peer.peer);
  Response res = app_response(r, bh::status::no_content);
  res.set(bh::field::set_cookie, session_cookie("", true));
  res.set("Clear-Site-Data", "\"cache\", \"storage\"");
  r.keep_alive = false;  // the connection's login ends with the session
  co_return co_await reply(r, res);
}

awaitable<Result<unsigned>> api_session(AppRequest& r) {
  Response res = app_response(r, bh::status::ok, session_json(r.session->user, r.session->csrf),
                              "application/json");
  co_return co_await reply(r, res);
}

awaitable<Result<unsigned>> api_list(AppRequest& r) {
  const std::string path = path_param(r, "path");
  auto entries = co_await r.c.files->list(path);
  if (!entries) {
    co_return co_await reply_text(r, status_of(entries.error()), entries.error().message);
  }
  auto usage = co_await r.c.files->usage();
  std::string body = "{\"path\":" + web::json_string(path) + ",\"entries\":[";
  for (std::size_t i = 0; i < entries->size(); ++i) {
    body += (i == 0 ? "" : ",") + entry_json((*entries)[i]);
  }
  body += fmt::format(
      "],\"used\":{{\"bytes\":{},\"entries\":{}}},\"quota\":{{\"bytes\":{},"
      "\"entries\":{}}}}}",
      usage ? usage->bytes : 0, usage ? usage->entries : 0, r.c.settings.quota_bytes,
      r.c.settings.quota_files);
  Response res = app_response(r, bh::status::ok, std::move(body), "application/json");
  co_return co_await reply(r, res);
}

awaitable<Result<unsigned>> api_download(AppRequest& r) {
  std::string path = path_param(r, "path");  // a local: GCC 12 and co_await temporaries
  co_return co_await run_method(r, bh::verb::get, std::move(path), kFilePolicy);
}

awaitable<Result<unsigned>> api_mkdir(AppRequest& r) {
  std::string path = path_param(r, "path");  // a local: GCC 12 and co_await temporaries
  co_return co_await run_method(r, bh::verb::mkcol, std::move(path), kAppPolicy);
}

awaitable<Result<unsigned>> api_move(AppRequest& r) {
  std::string path = path_param(r, "path");  // a local: GCC 12 and co_await temporaries
  co_return co_await run_method(r, bh::verb::move, std::move(path), kAppPolicy);
}

awaitable<Result<unsigned>> api_delete(AppRequest& r) {
  std::string path = path_param(r, "path");  // a local: GCC 12 and co_await temporaries
  co_return co_await run_method(r, bh::verb::delete_, std::move(path), kAppPolicy);
}

// The same tus as with Basic (one upload table, the same quota and
// resume), reached through the app's session and CSRF checks.
awaitable<Result<unsigned>> api_tus(AppRequest& r) {
  Exchange ex = app_exchange(r, kAppPolicy);
  auto status = co_await tus(ex);
  r.keep_alive = ex.keep_alive;
  r.bytes = ex.bytes;
  co_return status;
}

}  // namespace sfs::http
