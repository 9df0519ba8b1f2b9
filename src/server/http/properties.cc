// PROPFIND and PROPPATCH (RFC 4918 9.1, 9.2): the live properties the
// door computes from what storage says (one table, kLiveProps), the dead
// ones UserFiles keeps with each file and folder, and the 207 Multi-Status
// written by dav::MultistatusWriter. A large Depth 1 listing is streamed
// (chunked) once it outgrows kBufferedBytes, so its memory stays bounded.

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "dav/multistatus.h"
#include "dav/propfind.h"
#include "dav/proppatch.h"
#include "server/http/exchange.h"

namespace sfs::http {
namespace {

constexpr std::string_view kXmlType = "application/xml; charset=utf-8";
// A multistatus up to this size goes out whole (Content-Length); a larger
// one in chunks of about this size.
constexpr std::size_t kBufferedBytes = std::size_t{256} << 10;

// The resource a response describes.
struct Resource {
  Exchange* ex;
  std::string path;  // decoded, relative to the user's space ("" is the root)
  storage::DirEntry entry;
};

using LiveValue = std::optional<dav::PropValue> (*)(const Resource&);

std::optional<dav::PropValue> dav_text(std::string_view name, std::string_view text) {
  return dav::text_prop(dav::kDavNamespace, name, text);
}

// The one table of live properties (all in DAV:, all protected). A value
// function returns nullopt where the resource has no such property (a
// collection has no length); creationdate is left out: storage keeps none.
struct LiveProp {
  std::string_view name;
  LiveValue value;
};
constexpr LiveProp kLiveProps[] = {
    {"resourcetype",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return dav::raw_prop(dav::kDavNamespace, "resourcetype",
                            r.entry.is_dir ? "<D:collection/>" : "");
     }},
    {"displayname",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       const std::size_t slash = r.path.rfind('/');
       const std::string leaf = slash == std::string::npos ? r.path : r.path.substr(slash + 1);
       return leaf.empty() ? std::nullopt : dav_text("displayname", leaf);
     }},
    {"getcontentlength",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return r.entry.is_dir ? std::nullopt
                             : dav_text("getcontentlength", std::to_string(r.entry.size));
     }},
    {"getcontenttype",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return r.entry.is_dir ? std::nullopt
                             : dav_text("getcontenttype", "application/octet-stream");
     }},
    {"getetag",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return r.entry.is_dir ? std::nullopt : dav_text("getetag", etag_of(r.entry));
     }},
    {"getlastmodified",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return dav_text("getlastmodified", http_date(r.entry.mtime));
     }},
    {"supportedlock",
     [](const Resource&) -> std::optional<dav::PropValue> {
       return dav::raw_prop(dav::kDavNamespace, "supportedlock", dav::supportedlock_xml());
     }},
    {"lockdiscovery",
     [](const Resource& r) -> std::optional<dav::PropValue> {
       return dav::raw_prop(dav::kDavNamespace, "lockdiscovery", lockdiscovery_of(*r.ex, r.path));
     }},
};

const LiveProp* live_prop(const dav::PropName& name) {
  if (name.ns != dav::kDavNamespace) {
    return nullptr;
  }
  for (const LiveProp& p : kLiveProps) {
    if (p.name == name.name) {
      return &p;
    }
  }
  return nullptr;
}

dav::PropValue dead_value(const storage::DeadProp& p) {
  return dav::PropValue{.name = {p.ns, p.name}, .value = p.value_xml, .raw = true, .lang = p.lang};
}

const storage::DeadProp* find_dead(const std::vector<storage::DeadProp>& dead,
                                   const dav::PropName& name) {
  const auto it = std::find_if(dead.begin(), dead.end(), [&](const storage::DeadProp& p) {
    return p.ns == name.ns && p.name == name.name;
  });
  return it == dead.end() ? nullptr : &*it;
}

// The requested properties `names`: found ones in a 200 propstat, the
// others (named only) in a 404 one.
std::vector<dav::PropStat> named_props(const Resource& r, const std::vector<dav::PropName>& names,
                                       const std::vector<storage::DeadProp>& dead) {
  dav::PropStat found{.status = 200};
  dav::PropStat missing{.status = 404};
  for (const dav::PropName& name : names) {
    std::optional<dav::PropValue> value;
    if (const LiveProp* live = live_prop(name)) {
      value = live->value(r);
    } else if (const storage::DeadProp* p = find_dead(dead, name)) {
      value = dead_value(*p);
    }
    if (value) {
      found.props.push_back(std::move(*value));
    } else {
      missing.props.push_back(dav::PropValue{.name = name, .name_only = true});
    }
  }
  std::vector<dav::PropStat> out;
  for (dav::PropStat* ps : {&found, &missing}) {
    if (!ps->props.empty()) {
      out.push_back(std::move(*ps));
    }
  }
  return out;
}

// Every live property the resource has and every dead one: values, or
// (`names_only`, for propname) their names.
std::vector<dav::PropValue> all_props(const Resource& r, const std::vector<storage::DeadProp>& dead,
                                      bool names_only) {
  std::vector<dav::PropValue> props;
  for (const LiveProp& live : kLiveProps) {
    if (auto value = live.value(r)) {
      props.push_back(std::move(*value));
    }
  }
  for (const storage::DeadProp& p : dead) {
    props.push_back(dead_value(p));
  }
  if (names_only) {
    for (dav::PropValue& p : props) {
      p = dav::PropValue{.name = std::move(p.name), .name_only = true};
    }
  }
  return props;
}

// Whether answering `req` needs the dead properties.
bool needs_dead(const dav::PropfindRequest& req) {
  return req.kind != dav::PropfindKind::kProp ||
         std::any_of(req.props.begin(), req.props.end(),
                     [](const dav::PropName& n) { return live_prop(n) == nullptr; });
}

// The decoded href of a resource: "/dav/" + path, "/" after a collection.
std::string href(const std::string& path, bool is_dir) {
  std::string out = std::string(kDavPrefix) + "/" + path;
  if (is_dir && !path.empty()) {
    out += '/';
  }
  return out;
}

dav::Response describe(const Resource& r, const dav::PropfindRequest& req,
                       const std::vector<storage::DeadProp>& dead) {
  dav::Response response{.href = href(r.path, r.entry.is_dir)};
  if (req.kind == dav::PropfindKind::kProp) {
    response.propstats = named_props(r, req.props, dead);
    return response;
  }
  dav::PropStat all{.status = 200,
                    .props = all_props(r, dead, req.kind == dav::PropfindKind::kPropName)};
  response.propstats.push_back(std::move(all));
  if (req.kind == dav::PropfindKind::kAllProp && !req.props.empty()) {
    // DAV:include: what allprop left out (nothing live is; dead ones are
    // all there), so only the names nobody has remain, as 404.
    std::vector<dav::PropName> extra;
    for (const dav::PropName& name : req.props) {
      if (live_prop(name) == nullptr && find_dead(dead, name) == nullptr) {
        extra.push_back(name);
      }
    }
    auto rest = named_props(r, extra, dead);
    response.propstats.insert(response.propstats.end(), rest.begin(), rest.end());
  }
  return response;
}

// The body of a PROPFIND reply, sent whole while small and chunked once
// it grows past kBufferedBytes.
class MultistatusSender {
 public:
  explicit MultistatusSender(Exchange& ex) : ex_(ex) {}

  awaitable<Result<void>> add(const dav::Response& response) {
    writer_.add(response);
    pending_ += writer_.take();
    if (pending_.size() < kBufferedBytes) {
      co_return Result<void>{};
    }
    if (!chunked_) {
      if (auto ok = co_await start_chunked(); !ok) {
        co_return ok;
      }
    }
    co_return co_await flush();
  }

  awaitable<Result<unsigned>> finish() {
    pending_ += writer_.finish();
    if (!chunked_) {
      Response res = make_response(ex_, bh::status::multi_status, std::move(pending_), kXmlType);
      co_return co_await send(ex_, std::move(res));
    }
    if (auto ok = co_await flush(); !ok) {
      co_return ok.error();
    }
    ex_.connection.set_deadline(ex_.settings.io_timeout);
    if (auto ok = co_await ex_.connection.write("0\r\n\r\n"); !ok) {
      co_return ok.error();
    }
    co_return 207U;
  }

 private:
  awaitable<Result<void>> start_chunked() {
    bh::response<bh::empty_body> res{bh::status::multi_status, 11};
    add_safety_headers(res);
    res.set(bh::field::content_type, std::string(kXmlType));
    res.chunked(true);
    res.keep_alive(ex_.keep_alive);
    bh::response_serializer<bh::empty_body> serializer{res};
    ex_.connection.set_deadline(ex_.settings.io_timeout);
    boost::system::error_code ec;
    auto stream = ex_.connection.async_stream();
    co_await bh::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return make_error(Errc::kNetwork, ec.message());
    }
    chunked_ = true;
    co_return Result<void>{};
  }

  awaitable<Result<void>> flush() {
    if (pending_.empty()) {
      co_return Result<void>{};
    }
    std::string chunk = fmt::format("{:x}\r\n", pending_.size());
    chunk += pending_;
    chunk += "\r\n";
    pending_.clear();
    ex_.connection.set_deadline(ex_.settings.io_timeout);
    co_return co_await ex_.connection.write(chunk);
  }

  Exchange& ex_;
  dav::MultistatusWriter writer_;
  std::string pending_;
  bool chunked_ = false;
};

awaitable<std::vector<storage::DeadProp>> dead_of(Exchange& ex, const std::string& path,
                                                  bool wanted) {
  if (!wanted) {
    co_return std::vector<storage::DeadProp>{};
  }
  // A resource whose properties cannot be read (a file with other hard
  // links) is listed with none rather than failing the whole listing.
  auto dead = co_await ex.files.dead_props(path);
  co_return dead ? std::move(*dead) : std::vector<storage::DeadProp>{};
}

// The members of a Depth 1 PROPFIND, listed with their dead properties
// (when asked for) in one call, then each described.
awaitable<Result<std::vector<storage::PropEntry>>> members_of(Exchange& ex, bool with_dead) {
  if (with_dead) {
    co_return co_await ex.files.list_with_props(ex.path);
  }
  auto listed = co_await ex.files.list(ex.path);
  if (!listed) {
    co_return listed.error();
  }
  std::vector<storage::PropEntry> members;
  members.reserve(listed->size());
  for (storage::DirEntry& entry : *listed) {
    members.push_back(storage::PropEntry{.entry = std::move(entry)});
  }
  co_return members;
}

awaitable<Result<void>> describe_members(Exchange& ex, const dav::PropfindRequest& req,
                                         MultistatusSender& sender) {
  auto members = co_await members_of(ex, needs_dead(req));
  if (!members) {
    co_return members.error();
  }
  for (storage::PropEntry& member : *members) {
    std::string path = ex.path.empty() ? member.entry.name : ex.path + "/" + member.entry.name;
    Resource r{&ex, std::move(path), std::move(member.entry)};
    const dav::Response response = describe(r, req, member.dead);
    if (auto ok = co_await sender.add(response); !ok) {
      co_return ok;
    }
  }
  co_return Result<void>{};
}

awaitable<Result<unsigned>> bad_body(Exchange& ex, const Error& error) {
  const std::string first_line = error.message.substr(0, error.message.find('\n'));
  const bh::status status =
      error.code == Errc::kTooLarge ? bh::status::payload_too_large : bh::status::bad_request;
  Response res = make_response(ex, status, first_line + "\n");
  co_return co_await send(ex, std::move(res));
}

}  // namespace

awaitable<Result<unsigned>> propfind(Exchange& ex) {
  const std::string_view depth = field(ex, "Depth");
  if (depth != "0" && depth != "1") {  // infinity, or none (which means infinity)
    Response res = make_response(ex, bh::status::forbidden,
                                 dav::error_body("propfind-finite-depth"), kXmlType);
    co_return co_await send(ex, std::move(res));
  }
  auto req = dav::parse_propfind(ex.body);
  if (!req) {
    co_return co_await bad_body(ex, req.error());
  }
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry) {
    co_return co_await send_error(ex, entry.error());
  }
  if (auto loaded = co_await load_locks(ex); !loaded) {  // the lock table away
    Response res =
        make_response(ex, bh::status::service_unavailable, loaded.error().message + "\n");
    co_return co_await send(ex, std::move(res));
  }
  const Resource self{&ex, ex.path, std::move(*entry)};
  const auto dead = co_await dead_of(ex, ex.path, needs_dead(*req));
  MultistatusSender sender(ex);
  const dav::Response response = describe(self, *req, dead);
  if (auto ok = co_await sender.add(response); !ok) {
    co_return ok.error();
  }
  if (self.entry.is_dir && depth == "1") {
    if (auto ok = co_await describe_members(ex, *req, sender); !ok) {
      co_return ok.error();  // (rare) the reply may be under way: the connection ends
    }
  }
  co_return co_await sender.finish();
}

namespace {

// The multistatus of a PROPPATCH that changes nothing because of the
// protected properties it names: those 403, every other one 424.
std::string refused_patch(const std::string& path, bool is_dir,
                          const std::vector<dav::PropPatchOp>& ops) {
  dav::PropStat denied{.status = 403, .error = "cannot-modify-protected-property"};
  dav::PropStat failed{.status = 424};
  for (const dav::PropPatchOp& op : ops) {
    dav::PropStat& ps = live_prop(op.name) != nullptr ? denied : failed;
    ps.props.push_back(dav::PropValue{.name = op.name, .name_only = true});
  }
  dav::Response response{.href = href(path, is_dir)};
  for (dav::PropStat* ps : {&denied, &failed}) {
    if (!ps->props.empty()) {
      response.propstats.push_back(std::move(*ps));
    }
  }
  dav::MultistatusWriter writer;
  writer.add(response);
  return writer.finish();
}

std::vector<storage::PropChange> changes_of(const std::vector<dav::PropPatchOp>& ops) {
  std::vector<storage::PropChange> changes;
  changes.reserve(ops.size());
  for (const dav::PropPatchOp& op : ops) {
    changes.push_back(
        storage::PropChange{.remove = op.kind == dav::PropPatchOp::Kind::kRemove,
                            .prop = {op.name.ns, op.name.name, op.lang, op.value_xml}});
  }
  return changes;
}

}  // namespace

awaitable<Result<unsigned>> proppatch(Exchange& ex) {
  auto ops = dav::parse_proppatch(ex.body);
  if (!ops) {
    co_return co_await bad_body(ex, ops.error());
  }
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry) {
    co_return co_await send_error(ex, entry.error());
  }
  const bool is_dir = entry->is_dir;
  if (std::any_of(ops->begin(), ops->end(),
                  [](const dav::PropPatchOp& op) { return live_prop(op.name) != nullptr; })) {
    Response res =
        make_response(ex, bh::status::multi_status, refused_patch(ex.path, is_dir, *ops), kXmlType);
    co_return co_await send(ex, std::move(res));
  }
  auto changes = changes_of(*ops);
  if (auto ok = co_await ex.files.patch_dead_props(ex.path, std::move(changes)); !ok) {
    const bool full = ok.error().code == Errc::kTooLarge;
    Response res =
        make_response(ex, full ? bh::status::insufficient_storage : status_of(ok.error()),
                      ok.error().message + "\n");
    co_return co_await send(ex, std::move(res));
  }
  dav::PropStat done{.status = 200};
  for (const dav::PropPatchOp& op : *ops) {
    done.props.push_back(dav::PropValue{.name = op.name, .name_only = true});
  }
  dav::Response response{.href = href(ex.path, is_dir), .propstats = {std::move(done)}};
  dav::MultistatusWriter writer;
  writer.add(response);
  Response res = make_response(ex, bh::status::multi_status, writer.finish(), kXmlType);
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
