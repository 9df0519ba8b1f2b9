// The WebDAV methods of class 1 (RFC 4918) on UserFiles: each parses what
// it needs from the request, calls UserFiles and maps the result to a
// reply (docs/webdav.md lists them).

#include <fmt/format.h>

#include <charconv>

#include "server/http/exchange.h"

namespace sfs::http {
namespace {

bool lists_etag(std::string_view list, const std::string& etag) {
  if (list == "*") {
    return true;
  }
  return list.find(etag) != std::string_view::npos;
}

}  // namespace

// The conditional headers (RFC 9110 13.2.2 order): 412 or 304 to answer
// instead, or nullopt to go on. `entry` is null when nothing is there.
std::optional<bh::status> precondition(const Exchange& ex, const storage::DirEntry* entry,
                                       bool get) {
  const std::string etag = entry != nullptr && !entry->is_dir ? etag_of(*entry) : std::string();
  if (const auto m = field(ex, "If-Match"); !m.empty()) {
    if (entry == nullptr || !lists_etag(m, etag.empty() ? "*" : etag)) {
      return bh::status::precondition_failed;
    }
  } else if (const auto u = parse_http_date(field(ex, "If-Unmodified-Since"));
             u && entry != nullptr && entry->mtime > *u) {
    return bh::status::precondition_failed;
  }
  if (const auto n = field(ex, "If-None-Match"); !n.empty()) {
    if (entry != nullptr && (n == "*" || (!etag.empty() && lists_etag(n, etag)))) {
      return get ? bh::status::not_modified : bh::status::precondition_failed;
    }
  } else if (const auto s = parse_http_date(field(ex, "If-Modified-Since"));
             get && s && entry != nullptr && entry->mtime <= *s) {
    return bh::status::not_modified;
  }
  return std::nullopt;
}

namespace {

struct Span {
  std::uint64_t start = 0;
  std::uint64_t length = 0;
  bool partial = false;
};

// A single "bytes=a-b" range (RFC 9110 14.1.2); several ranges or another
// unit are served whole. nullopt: not satisfiable.
std::optional<Span> range_of(std::string_view header, std::uint64_t size) {
  Span whole{0, size, false};
  if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) {
    return whole;
  }
  header.remove_prefix(6);
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) {
    return whole;
  }
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty() ? std::optional(v)
                                                                         : std::nullopt;
  };
  const auto first = number(header.substr(0, dash));
  const auto last = number(header.substr(dash + 1));
  if (!first) {  // the last n bytes
    if (!last || *last == 0 || size == 0) {
      return last ? std::nullopt : std::optional(whole);
    }
    const std::uint64_t n = std::min(*last, size);
    return Span{size - n, n, true};
  }
  if (*first >= size || (last && *last < *first)) {
    return std::nullopt;
  }
  const std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return Span{*first, end - *first + 1, true};
}

void describe_file(bh::fields& fields, const storage::DirEntry& entry) {
  fields.set(bh::field::etag, etag_of(entry));
  fields.set(bh::field::last_modified, http_date(entry.mtime));
}

const std::string& allow();

awaitable<Result<unsigned>> options(Exchange& ex) {
  Response res = make_response(ex, bh::status::ok);
  res.set("DAV", "1, 2");  // class 2: LOCK and UNLOCK (locks.cc)
  res.set(bh::field::allow, allow());
  res.set("MS-Author-Via", "DAV");
  res.set("Accept-Patch", "application/x-sabredav-partialupdate");  // PATCH (patch.cc)
  co_return co_await send(ex, std::move(res));
}

// Opens the download and moves it to `span.start` (the file may have
// changed since the stat: then the digest differs and the offset is read
// past here).
awaitable<Result<files::Download>> open_at(Exchange& ex, const storage::DirEntry& entry,
                                           std::uint64_t start) {
  auto file = co_await ex.files.open_download(ex.path, start, entry.digest);
  if (!file) {
    co_return file.error();
  }
  std::vector<char> skip(std::min<std::uint64_t>(start, kBodyPieceBytes));
  for (std::uint64_t at = file->start(); at < start;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(start - at, skip.size()));
    auto got = co_await file->read(skip.data(), want);
    if (!got || *got == 0) {
      co_return got ? make_error(Errc::kIo, "file ended early") : got.error();
    }
    at += *got;
  }
  co_return std::move(*file);
}

awaitable<Result<unsigned>> get(Exchange& ex) {
  const bool head = ex.request().method() == bh::verb::head;
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry) {
    co_return co_await send_error(ex, entry.error());
  }
  if (entry->is_dir) {
    Response res = make_response(ex, bh::status::method_not_allowed, "a collection\n");
    res.set(bh::field::allow, "OPTIONS, PROPFIND, MKCOL, DELETE, COPY, MOVE");
    co_return co_await send(ex, std::move(res));
  }
  if (const auto refused = precondition(ex, &*entry, true)) {
    Response res = make_response(ex, *refused);
    describe_file(res, *entry);
    co_return co_await send(ex, std::move(res));
  }
  const auto span = range_of(field(ex, "Range"), entry->size);
  if (!span) {
    Response res = make_response(ex, bh::status::range_not_satisfiable);
    res.set(bh::field::content_range, fmt::format("bytes */{}", entry->size));
    co_return co_await send(ex, std::move(res));
  }
  auto file = co_await open_at(ex, *entry, span->start);
  if (!file) {
    co_return co_await send_error(ex, file.error());
  }
  bh::response<bh::empty_body> res{span->partial ? bh::status::partial_content : bh::status::ok,
                                   11};
  add_reply_headers(ex, res);
  describe_file(res, *entry);
  res.set(bh::field::content_type, "application/octet-stream");
  res.set(bh::field::content_disposition, ex.disposition);
  res.set(bh::field::accept_ranges, "bytes");
  if (span->partial) {
    res.set(bh::field::content_range, fmt::format("bytes {}-{}/{}", span->start,
                                                  span->start + span->length - 1, entry->size));
  }
  res.content_length(span->length);
  res.keep_alive(ex.keep_alive);
  const unsigned status = res.result_int();
  ex.connection.set_deadline(ex.settings.io_timeout);
  boost::system::error_code ec;
  auto stream = ex.connection.async_stream();
  co_await bh::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return make_error(Errc::kNetwork, ec.message());
  }
  if (!head) {
    if (auto sent = co_await send_file(ex, *file, span->length, !span->partial); !sent) {
      co_return sent.error();  // headers are out: the connection ends
    }
  }
  co_return status;
}

awaitable<Result<unsigned>> remove(Exchange& ex) {
  if (ex.path.empty()) {
    Response res = make_response(ex, bh::status::forbidden, "the root stays\n");
    co_return co_await send(ex, std::move(res));
  }
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry) {
    co_return co_await send_error(ex, entry.error());
  }
  if (const auto refused = precondition(ex, &*entry, false)) {
    Response res = make_response(ex, *refused);
    co_return co_await send(ex, std::move(res));
  }
  if (auto ok = co_await remove_any(ex.files, ex.path, entry->is_dir); !ok) {
    co_return co_await send_error(ex, ok.error());
  }
  Response res = make_response(ex, bh::status::no_content);
  co_return co_await send(ex, std::move(res));
}

awaitable<Result<unsigned>> make_collection(Exchange& ex) {
  if (!ex.body.empty()) {
    Response res = make_response(ex, bh::status::unsupported_media_type);
    co_return co_await send(ex, std::move(res));
  }
  auto made = co_await ex.files.make_dir(ex.path, false);
  if (!made) {
    const Errc code = made.error().code;
    if (code == Errc::kExists || ex.path.empty()) {
      Response res = make_response(ex, bh::status::method_not_allowed, "exists\n");
      co_return co_await send(ex, std::move(res));
    }
    if (code == Errc::kNotFound || code == Errc::kNotDir) {
      Response res = make_response(ex, bh::status::conflict, "no parent\n");
      co_return co_await send(ex, std::move(res));
    }
    co_return co_await send_error(ex, made.error());
  }
  Response res = make_response(ex, bh::status::created);
  co_return co_await send(ex, std::move(res));
}

using Handler = awaitable<Result<unsigned>> (*)(Exchange&);
struct Method {
  std::string_view name;
  Handler handler;
  // What the method writes, so that one check before it runs enforces the
  // locks (check_locks): the request's resource, and COPY/MOVE's
  // Destination. LOCK checks its own conflicts, UNLOCK needs none.
  Reach target = Reach::kNone;
  Reach destination = Reach::kNone;
};

awaitable<Result<unsigned>> copy(Exchange& ex) { return copy_or_move(ex, false); }
awaitable<Result<unsigned>> move(Exchange& ex) { return copy_or_move(ex, true); }

// The one dispatch table of the door's methods (Allow is made from it).
constexpr Method kMethods[] = {
    {"OPTIONS", &options},
    {"GET", &get},
    {"HEAD", &get},
    {"PUT", &put, Reach::kResource},
    {"DELETE", &remove, Reach::kTree},
    {"MKCOL", &make_collection, Reach::kResource},
    {"PROPFIND", &propfind},
    {"PROPPATCH", &proppatch, Reach::kResource},
    {"COPY", &copy, Reach::kNone, Reach::kTree},
    {"MOVE", &move, Reach::kTree, Reach::kTree},
    {"PATCH", &patch, Reach::kResource},
    {"LOCK", &lock},
    {"UNLOCK", &unlock},
};

// "OPTIONS, GET, ...": every method of kMethods.
const std::string& allow() {
  static const std::string list = [] {
    std::string out;
    for (const Method& m : kMethods) {
      out += out.empty() ? "" : ", ";
      out += m.name;
    }
    return out;
  }();
  return list;
}

}  // namespace

awaitable<Result<unsigned>> dispatch(Exchange& ex) {
  const std::string_view method = sv(ex.request().method_string());
  for (const Method& m : kMethods) {
    if (m.name != method) {
      continue;
    }
    if (auto refused = co_await check_locks(ex, m.target, m.destination)) {
      co_return std::move(*refused);
    }
    auto status = co_await m.handler(ex);
    if (status) {
      co_await forget_locks(ex, m.target, *status);
    }
    co_return status;
  }
  Response res = make_response(ex, bh::status::method_not_allowed, "method not allowed\n");
  res.set(bh::field::allow, allow());
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
