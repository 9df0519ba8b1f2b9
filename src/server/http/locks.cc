// WebDAV class 2 (RFC 4918 6, 7, 9.10, 9.11, 10.4): LOCK and UNLOCK, the
// If header, and the one lock check every writing method passes through
// before it runs (dispatch() in methods.cc calls check_locks with the
// method's Reach columns). The locks themselves are files::LockTable's,
// per user; the XML and header syntax are dav's.

#include <spdlog/spdlog.h>

#include <map>

#include "asio/offload.h"
#include "dav/headers.h"
#include "dav/if_header.h"
#include "dav/lock.h"
#include "dav/multistatus.h"
#include "server/http/exchange.h"

namespace sfs::http {
namespace {

constexpr std::string_view kXml = "application/xml; charset=utf-8";

std::string href_root(std::string_view path) {
  std::string root(kDavPrefix);
  root += '/';
  root += path;
  return root;
}

dav::ActiveLock active(const files::Lock& lock) {
  return dav::ActiveLock{
      .scope = lock.exclusive ? dav::LockScope::kExclusive : dav::LockScope::kShared,
      .depth = lock.deep ? dav::Depth::kInfinity : dav::Depth::kZero,
      .owner_xml = lock.owner_xml,
      .timeout = lock.timeout,
      .token = lock.token,
      .root = href_root(lock.root)};
}

constexpr std::string_view kText = "text/plain; charset=utf-8";

// A refusal before the method ran: a PUT's body is still unread, so the
// connection closes after it (the body is never taken for a request).
Response refusal(Exchange& ex, bh::status status, std::string body, std::string_view type) {
  if (ex.request().method() == bh::verb::put && ex.parser.content_length().value_or(0) > 0) {
    ex.keep_alive = false;
  }
  return make_response(ex, status, std::move(body), type);
}

// The lock table's answer, from its blocking pool when it has one (a
// database): never a database call on the network threads.
template <typename F>
awaitable<std::invoke_result_t<F>> locks_call(Exchange& ex, F fn) {
  co_return co_await call_on(ex.locks.blocking_pool(), std::move(fn));
}

awaitable<Result<std::vector<files::Lock>>> covering(Exchange& ex, const std::string& path) {
  co_return co_await locks_call(ex, [&] { return ex.locks.covering(ex.files.user(), path); });
}

// The lock table is away (its database): 503, the request may be retried.
awaitable<Result<unsigned>> unavailable(Exchange& ex, const Error& error) {
  Response res = refusal(ex, bh::status::service_unavailable, error.message + "\n", kText);
  co_return co_await send(ex, std::move(res));
}

// What If conditions on `path` are checked against: its strong ETag (files
// only) and the tokens of the locks covering it; nullopt when nothing is
// there and nothing is locked.
awaitable<Result<std::optional<dav::ResourceState>>> state_at(Exchange& ex,
                                                              const std::string& path) {
  auto entry = co_await stat_path(ex.files, path);
  dav::ResourceState state;
  auto locks = co_await covering(ex, path);
  if (!locks) {
    co_return locks.error();
  }
  for (const files::Lock& lock : *locks) {
    state.lock_tokens.push_back(lock.token);
  }
  if (entry && !entry->is_dir) {
    state.etag = etag_of(*entry);
  }
  if (!entry && state.lock_tokens.empty()) {
    co_return std::optional<dav::ResourceState>();
  }
  co_return std::optional(std::move(state));
}

using States = std::map<std::string, std::optional<dav::ResourceState>, std::less<>>;

// The state of every resource the header names ("" is the request's). The
// header's condition cap bounds the number of stats.
awaitable<Result<States>> states_of(Exchange& ex, const dav::IfHeader& header) {
  States states;
  for (const dav::IfGroup& group : header.groups) {
    if (states.contains(group.resource)) {
      continue;
    }
    std::optional<dav::ResourceState> state;
    auto path =
        group.resource.empty() ? Result<std::string>(ex.path) : path_of_url(ex, group.resource);
    if (path) {
      auto found = co_await state_at(ex, *path);
      if (!found) {
        co_return found.error();
      }
      state = std::move(*found);
    }
    states.emplace(group.resource, std::move(state));
  }
  co_return states;
}

// The first lock on what `path` reaches that the submitted tokens do not
// satisfy.
awaitable<Result<std::optional<files::Lock>>> missing_token(
    Exchange& ex, const std::string& path, Reach reach, const std::vector<std::string>& submitted) {
  if (reach == Reach::kNone) {
    co_return std::optional<files::Lock>();
  }
  const bool tree = reach == Reach::kTree;
  auto locks =
      co_await locks_call(ex, [&] { return ex.locks.affecting(ex.files.user(), path, tree); });
  if (!locks) {
    co_return locks.error();
  }
  co_return files::unsatisfied(*locks, submitted);
}

// An empty file at the request's path: a LOCK on an unmapped URL maps it
// (RFC 4918 7.3).
awaitable<Result<void>> create_empty(Exchange& ex) {
  auto upload = co_await ex.files.begin_upload(ex.path, 0, false);
  if (!upload) {
    co_return upload.error();
  }
  if (auto ok = co_await upload->start_at(0); !ok) {
    co_return ok;
  }
  const std::optional<std::string> none;
  auto stored = co_await upload->finish(none);
  if (!stored) {
    co_return stored.error();
  }
  co_return Result<void>{};
}

// LOCK with an empty body: restarts the timeout of the lock whose token
// the If header carries and that covers the request's resource.
awaitable<Result<unsigned>> refresh_lock(Exchange& ex, std::chrono::seconds timeout) {
  auto header = dav::parse_if_header(field(ex, "If"));
  if (!header || field(ex, "If").empty()) {
    Response res = refusal(ex, bh::status::bad_request, "a refresh needs the token in If\n", kText);
    co_return co_await send(ex, std::move(res));
  }
  for (const std::string& token : dav::submitted_tokens(*header)) {
    auto lock = co_await locks_call(
        ex, [&] { return ex.locks.refresh(ex.files.user(), ex.path, token, timeout); });
    if (!lock && lock.error().code == Errc::kIo) {
      co_return co_await unavailable(ex, lock.error());
    }
    if (lock) {
      Response res =
          make_response(ex, bh::status::ok, dav::lock_response_body(active(*lock)), kXml);
      co_return co_await send(ex, std::move(res));
    }
  }
  Response res = refusal(ex, bh::status::precondition_failed,
                         dav::error_body("lock-token-matches-request-uri"), kXml);
  co_return co_await send(ex, std::move(res));
}

// Takes the lock in the table, then maps an unmapped URL; the status to
// answer with (200, 201) or a refusal already sent.
awaitable<Result<unsigned>> new_lock(Exchange& ex, const files::LockSpec& spec, bool exists) {
  auto lock = co_await locks_call(ex, [&] { return ex.locks.create(ex.files.user(), spec); });
  if (!lock && lock.error().code == Errc::kExists) {
    Response res = refusal(ex, bh::status::locked, dav::error_body("no-conflicting-lock"), kXml);
    co_return co_await send(ex, std::move(res));
  }
  if (!lock) {  // the cap of locks per user, or the table away
    Response res = refusal(ex, bh::status::service_unavailable, lock.error().message + "\n", kText);
    co_return co_await send(ex, std::move(res));
  }
  if (!exists) {
    if (auto made = co_await create_empty(ex); !made) {
      const std::string token = lock->token;
      static_cast<void>(co_await locks_call(
          ex, [&] { return ex.locks.unlock(ex.files.user(), ex.path, token); }));
      const Errc code = made.error().code;
      if (code == Errc::kNotFound || code == Errc::kNotDir) {
        Response res = refusal(ex, bh::status::conflict, "no parent\n", kText);
        co_return co_await send(ex, std::move(res));
      }
      co_return co_await send_error(ex, made.error());
    }
  }
  Response res = make_response(ex, exists ? bh::status::ok : bh::status::created,
                               dav::lock_response_body(active(*lock)), kXml);
  res.set("Lock-Token", "<" + lock->token + ">");
  co_return co_await send(ex, std::move(res));
}

}  // namespace

awaitable<std::optional<Result<unsigned>>> check_locks(Exchange& ex, Reach target,
                                                       Reach destination) {
  std::vector<std::string> submitted;
  if (const std::string_view value = field(ex, "If"); !value.empty()) {
    auto header = dav::parse_if_header(value);
    if (!header) {
      Response res = refusal(ex, bh::status::bad_request, header.error().message + "\n", kText);
      Result<unsigned> sent = co_await send(ex, std::move(res));
      co_return sent;
    }
    auto found = co_await states_of(ex, *header);
    if (!found) {
      Result<unsigned> sent = co_await unavailable(ex, found.error());
      co_return sent;
    }
    const States& states = *found;
    const bool holds = dav::if_header_holds(
        *header, [&](std::string_view resource) -> std::optional<dav::ResourceState> {
          const auto it = states.find(resource);
          return it == states.end() ? std::nullopt : it->second;
        });
    if (!holds) {
      Response res = refusal(ex, bh::status::precondition_failed, "If: no list holds\n", kText);
      Result<unsigned> sent = co_await send(ex, std::move(res));
      co_return sent;
    }
    submitted = dav::submitted_tokens(*header);
  }
  auto missing = co_await missing_token(ex, ex.path, target, submitted);
  if (missing && !*missing && destination != Reach::kNone) {
    if (auto to = destination_of(ex); to) {  // a bad one: COPY/MOVE answer it
      missing = co_await missing_token(ex, *to, destination, submitted);
    }
  }
  if (!missing) {
    Result<unsigned> sent = co_await unavailable(ex, missing.error());
    co_return sent;
  }
  if (*missing) {
    Response res =
        refusal(ex, bh::status::locked,
                dav::error_body("lock-token-submitted", {href_root((*missing)->root)}), kXml);
    Result<unsigned> sent = co_await send(ex, std::move(res));
    co_return sent;
  }
  co_return std::nullopt;
}

awaitable<void> forget_locks(Exchange& ex, Reach target, unsigned status) {
  if (target == Reach::kTree && status >= 200 && status < 300) {
    auto gone =
        co_await locks_call(ex, [&] { return ex.locks.remove_tree(ex.files.user(), ex.path); });
    if (!gone) {  // they expire in their time; until then they still refuse writes
      spdlog::warn("user={} locks beneath /{} kept: {}", ex.files.user(), ex.path,
                   gone.error().message);
    }
  }
}

awaitable<Result<void>> load_locks(Exchange& ex) {
  auto locks =
      co_await locks_call(ex, [&] { return ex.locks.affecting(ex.files.user(), ex.path, true); });
  if (!locks) {
    co_return locks.error();
  }
  ex.known_locks = std::move(*locks);
  co_return Result<void>{};
}

std::string lockdiscovery_of(Exchange& ex, std::string_view path) {
  std::vector<dav::ActiveLock> locks;
  for (const files::Lock& lock : ex.known_locks) {
    if (files::lock_covers(lock, path)) {
      locks.push_back(active(lock));
    }
  }
  return dav::lockdiscovery_xml(locks);
}

awaitable<Result<unsigned>> lock(Exchange& ex) {
  const std::chrono::seconds timeout = dav::parse_timeout(field(ex, "Timeout"));
  if (ex.body.empty()) {
    co_return co_await refresh_lock(ex, timeout);
  }
  auto request = dav::parse_lock(ex.body);
  auto depth = dav::parse_depth(field(ex, "Depth"), dav::Depth::kInfinity);
  if (!request || !depth || *depth == dav::Depth::kOne) {
    const std::string why = !request ? request.error().message : "Depth: 0 or infinity";
    Response res = refusal(ex, bh::status::bad_request, why + "\n", kText);
    co_return co_await send(ex, std::move(res));
  }
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry && entry.error().code != Errc::kNotFound) {
    co_return co_await send_error(ex, entry.error());
  }
  const files::LockSpec spec{.root = ex.path,
                             .exclusive = request->scope == dav::LockScope::kExclusive,
                             .deep = *depth == dav::Depth::kInfinity,
                             .owner_xml = request->owner_xml,
                             .timeout = timeout};
  co_return co_await new_lock(ex, spec, entry.ok());
}

awaitable<Result<unsigned>> unlock(Exchange& ex) {
  auto token = dav::parse_lock_token_header(field(ex, "Lock-Token"));
  if (!token) {
    Response res = refusal(ex, bh::status::bad_request, token.error().message + "\n", kText);
    co_return co_await send(ex, std::move(res));
  }
  auto gone =
      co_await locks_call(ex, [&] { return ex.locks.unlock(ex.files.user(), ex.path, *token); });
  if (!gone && gone.error().code == Errc::kIo) {
    co_return co_await unavailable(ex, gone.error());
  }
  if (!gone) {
    Response res =
        refusal(ex, bh::status::conflict, dav::error_body("lock-token-matches-request-uri"), kXml);
    co_return co_await send(ex, std::move(res));
  }
  Response res = make_response(ex, bh::status::no_content);
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
