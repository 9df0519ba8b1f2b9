// COPY and MOVE (RFC 4918 9.8, 9.9), and the recursive DELETE they share.
//
// UserFiles has no copy yet: a COPY streams each file through a download
// and an upload (quota, digest and commit as any upload), piece by piece.
// It belongs below the doors (UserFiles::copy) once a backend can copy
// cheaply; then copy_file goes.

#include "protocol/percent.h"
#include "server/http/exchange.h"
#include "storage/entries.h"

namespace sfs::http {
namespace {

std::string child_of(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

// An absolute URL on this very host (the Host header's authority) or an
// absolute path, under /dav/.
Result<std::string> path_of_url(const Exchange& ex, std::string_view url) {
  std::string_view dest = url;
  for (const std::string_view scheme : {"https://", "http://"}) {
    if (dest.starts_with(scheme)) {
      dest.remove_prefix(scheme.size());
      const std::size_t slash = dest.find('/');
      const std::string_view authority = dest.substr(0, slash);
      if (!iequal(authority, field(ex, "Host"))) {
        return make_error(Errc::kBadPath, "Destination on another server");
      }
      dest = slash == std::string_view::npos ? std::string_view("/") : dest.substr(slash);
      break;
    }
  }
  if (dest != kDavPrefix && !(dest.starts_with(kDavPrefix) && dest[kDavPrefix.size()] == '/')) {
    return make_error(Errc::kBadPath, "Destination outside " + std::string(kDavPrefix) + "/");
  }
  dest.remove_prefix(kDavPrefix.size());
  while (!dest.empty() && dest.front() == '/') {
    dest.remove_prefix(1);
  }
  while (!dest.empty() && dest.back() == '/') {
    dest.remove_suffix(1);
  }
  return protocol::percent_decode(dest);
}

Result<std::string> destination_of(const Exchange& ex) {
  const std::string_view dest = field(ex, "Destination");
  if (dest.empty()) {
    return make_error(Errc::kBadRequest, "Destination required");
  }
  return path_of_url(ex, dest);
}

namespace {

awaitable<Result<void>> copy_file(Exchange& ex, const std::string& from, const std::string& to) {
  auto file = co_await ex.files.open_download(from, 0, "");
  if (!file) {
    co_return file.error();
  }
  auto upload = co_await ex.files.begin_upload(to, file->size(), false);
  if (!upload) {
    co_return upload.error();
  }
  if (auto ok = co_await upload->start_at(0); !ok) {
    co_return ok;
  }
  std::vector<char> piece(kBodyPieceBytes);
  for (std::uint64_t left = file->size(); left > 0;) {
    auto got = co_await file->read(piece.data(), piece.size());
    if (!got || *got == 0) {
      co_return got ? make_error(Errc::kIo, "file ended early") : got.error();
    }
    if (auto ok = co_await upload->write(piece.data(), *got); !ok) {
      co_return ok;
    }
    left -= std::min<std::uint64_t>(left, *got);
  }
  if (auto ok = file->check(); !ok) {
    co_return ok;  // a damaged file is not copied
  }
  const std::optional<std::string> none;
  auto stored = co_await upload->finish(none);
  if (!stored) {
    co_return stored.error();
  }
  co_return Result<void>{};
}

// Gives `to` the dead properties of `from` (RFC 4918 9.8.2: a COPY copies
// them); `to` is new, so it has none of its own.
awaitable<Result<void>> copy_dead_props(Exchange& ex, const std::string& from,
                                        const std::string& to) {
  auto props = co_await ex.files.dead_props(from);
  if (!props) {
    co_return props.error();
  }
  if (props->empty()) {
    co_return Result<void>{};
  }
  std::vector<storage::PropChange> changes;
  for (storage::DeadProp& p : *props) {
    changes.push_back(storage::PropChange{.remove = false, .prop = std::move(p)});
  }
  co_return co_await ex.files.patch_dead_props(to, std::move(changes));
}

// Copies `from` to `to`: a file, or a collection with (`deep`) or without
// its members, dead properties included. Nesting is bounded by
// storage::kMaxDirDepth, as MKDIR is.
awaitable<Result<void>> copy_tree(Exchange& ex, const std::string& from, const std::string& to,
                                  bool is_dir, bool deep) {
  if (!is_dir) {
    if (auto copied = co_await copy_file(ex, from, to); !copied) {
      co_return copied;
    }
    co_return co_await copy_dead_props(ex, from, to);
  }
  if (auto made = co_await ex.files.make_dir(to, false); !made) {
    co_return made;
  }
  if (auto copied = co_await copy_dead_props(ex, from, to); !copied) {
    co_return copied;
  }
  if (!deep) {
    co_return Result<void>{};
  }
  auto children = co_await ex.files.list(from);
  if (!children) {
    co_return children.error();
  }
  for (const storage::DirEntry& child : *children) {
    const std::string child_from = child_of(from, child.name);
    const std::string child_to = child_of(to, child.name);
    auto ok = co_await copy_tree(ex, child_from, child_to, child.is_dir, true);
    if (!ok) {
      co_return ok;
    }
  }
  co_return Result<void>{};
}

// Checks the target of a COPY or MOVE and clears it when overwriting is
// allowed: the status to answer with on success (201 or 204), else the
// reply's status.
awaitable<Result<bh::status>> prepare_target(Exchange& ex, const std::string& to) {
  const std::string parent_path = parent_of(to);
  if (auto parent = co_await stat_path(ex.files, parent_path); !parent || !parent->is_dir) {
    co_return bh::status::conflict;
  }
  auto existing = co_await stat_path(ex.files, to);
  if (!existing) {
    co_return bh::status::created;
  }
  if (field(ex, "Overwrite") == "F" || to.empty()) {
    co_return bh::status::precondition_failed;
  }
  if (auto gone = co_await remove_any(ex.files, to, existing->is_dir); !gone) {
    co_return gone.error();
  }
  co_return bh::status::no_content;
}

}  // namespace

awaitable<Result<storage::DirEntry>> stat_path(files::UserFiles& files, const std::string& path) {
  if (path.empty()) {
    storage::DirEntry root;
    root.is_dir = true;
    co_return root;
  }
  co_return co_await files.stat(path);
}

awaitable<Result<void>> remove_any(files::UserFiles& files, const std::string& path, bool is_dir) {
  if (!is_dir) {
    co_return co_await files.remove(path);
  }
  auto children = co_await files.list(path);
  if (!children) {
    co_return children.error();
  }
  for (const storage::DirEntry& child : *children) {
    const std::string child_path = child_of(path, child.name);
    if (auto ok = co_await remove_any(files, child_path, child.is_dir); !ok) {
      co_return ok;
    }
  }
  co_return co_await files.remove_dir(path);
}

awaitable<Result<unsigned>> copy_or_move(Exchange& ex, bool move) {
  auto to = destination_of(ex);
  if (!to) {
    const bool elsewhere = to.error().code == Errc::kBadPath;
    Response res = make_response(ex, elsewhere ? bh::status::bad_gateway : bh::status::bad_request,
                                 to.error().message + "\n");
    co_return co_await send(ex, std::move(res));
  }
  const std::string_view depth = field(ex, "Depth");
  const bool deep = depth.empty() || iequal(depth, "infinity");
  if ((move && !deep) || (!deep && depth != "0")) {
    Response res = make_response(ex, bh::status::bad_request, "bad Depth\n");
    co_return co_await send(ex, std::move(res));
  }
  auto entry = co_await stat_path(ex.files, ex.path);
  if (!entry) {
    co_return co_await send_error(ex, entry.error());
  }
  if (*to == ex.path || ex.path.empty() || to->starts_with(ex.path + "/")) {
    Response res = make_response(ex, bh::status::forbidden, "same or inside\n");
    co_return co_await send(ex, std::move(res));
  }
  auto status = co_await prepare_target(ex, *to);
  if (!status) {
    co_return co_await send_error(ex, status.error());
  }
  if (*status == bh::status::conflict || *status == bh::status::precondition_failed) {
    Response res = make_response(ex, *status);
    co_return co_await send(ex, std::move(res));
  }
  Result<void> done;
  if (move) {
    auto moved = co_await ex.files.move(ex.path, *to);
    done = moved ? Result<void>{} : Result<void>(moved.error());
  } else {
    done = co_await copy_tree(ex, ex.path, *to, entry->is_dir, deep);
  }
  if (!done) {
    co_return co_await send_error(ex, done.error());
  }
  Response res = make_response(ex, *status);
  co_return co_await send(ex, std::move(res));
}

}  // namespace sfs::http
