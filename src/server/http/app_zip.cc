// The browser app's folder download: GET /app/api/zip?path=FOLDER streams
// FOLDER as a ZIP archive (web/zip.h), chunked, built while it is sent:
// the folder is listed first (bounded), then each file is read and sent in
// pieces. Nothing of the archive is held beyond one piece.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "protocol/percent.h"
#include "server/http/app_request.h"
#include "web/form.h"
#include "web/zip.h"

namespace sfs::http {
namespace {

// A folder of more entries than this is refused before a byte is sent (the
// listing is held while the archive is made).
constexpr std::size_t kMaxZipEntries = 100000;
// Room before a piece's bytes for its chunk's size line ("FFFFF\r\n").
constexpr std::size_t kChunkHeadBytes = 16;
constexpr std::size_t kZipPieceBytes = std::size_t{256} * 1024;

struct ZipEntry {
  std::string path;  // in the user's space
  std::string name;  // in the archive
  bool is_dir = false;
  std::int64_t mtime = 0;
};

// Everything under `root` (named `top` in the archive), parents before
// their contents; kTooLarge past kMaxZipEntries or the depth limit.
awaitable<Result<std::vector<ZipEntry>>> walk(files::UserFiles& files, std::string root,
                                              std::string top) {
  std::vector<ZipEntry> out;
  std::vector<std::pair<ZipEntry, int>> todo;  // folders to list, with depth
  std::int64_t mtime = 0;                      // the whole space's (stat has no entry for it)
  if (!root.empty()) {
    auto root_entry = co_await files.stat(root);
    if (!root_entry) {
      co_return root_entry.error();
    }
    if (!root_entry->is_dir) {
      co_return make_error(Errc::kNotDir, "not a folder");
    }
    mtime = root_entry->mtime;
  }
  todo.push_back({ZipEntry{root, top + "/", true, mtime}, 0});
  while (!todo.empty()) {
    auto [folder, depth] = std::move(todo.back());
    todo.pop_back();
    auto listed = co_await files.list(folder.path);
    if (!listed) {
      co_return listed.error();
    }
    out.push_back(folder);
    for (const storage::DirEntry& e : *listed) {
      if (out.size() + todo.size() >= kMaxZipEntries || depth >= storage::kMaxDirDepth) {
        co_return make_error(Errc::kTooLarge, fmt::format("more than {} entries or {} levels",
                                                          kMaxZipEntries, storage::kMaxDirDepth));
      }
      ZipEntry child{folder.path.empty() ? e.name : folder.path + "/" + e.name,
                     folder.name + e.name + (e.is_dir ? "/" : ""), e.is_dir, e.mtime};
      if (e.is_dir) {
        todo.push_back({std::move(child), depth + 1});
      } else {
        out.push_back(std::move(child));
      }
    }
  }
  co_return out;
}

// Sends the archive as the chunks of a chunked body.
class ZipStream {
 public:
  ZipStream(AppRequest& r, net::Buffer& piece) : r_(r), piece_(piece) {}

  // (The callers keep `text` alive: GCC 12 mishandles temporaries that
  // live across a co_await.)
  awaitable<Result<void>> send_text(const std::string& text) {
    if (text.empty()) {
      co_return Result<void>{};
    }
    std::string chunk = fmt::format("{:x}\r\n", text.size());
    chunk += text;
    chunk += "\r\n";
    co_return co_await write(chunk.data(), chunk.size());
  }

  awaitable<Result<void>> send_file(ZipEntry entry) {
    auto file = co_await r_.c.files->open_download(entry.path, 0, "");
    if (!file) {
      co_return file.error();
    }
    const std::string header = zip_.begin_file(entry.name, entry.mtime, file->size());
    if (auto ok = co_await send_text(header); !ok) {
      co_return ok;
    }
    for (std::uint64_t left = file->size(); left > 0;) {
      char* data = piece_.data() + kChunkHeadBytes;
      auto got = co_await file->read(data, std::min<std::uint64_t>(left, kZipPieceBytes));
      if (!got || *got == 0) {
        co_return got ? make_error(Errc::kIo, "file ended early") : got.error();
      }
      left -= *got;
      zip_.update(data, *got);
      if (auto ok = co_await send_piece(*got); !ok) {
        co_return ok;
      }
    }
    if (auto ok = file->check(); !ok) {
      co_return ok;  // damaged: the archive ends without its directory
    }
    auto descriptor = zip_.end_file();
    if (!descriptor) {
      co_return make_error(Errc::kIo, "a file grew past 4 GiB while it was sent");
    }
    co_return co_await send_text(*descriptor);
  }

  awaitable<Result<void>> send_folder(ZipEntry entry) {
    const std::string header = zip_.add_folder(entry.name, entry.mtime);
    co_return co_await send_text(header);
  }

  awaitable<Result<void>> end() {
    const std::string directory = zip_.finish();
    if (auto ok = co_await send_text(directory); !ok) {
      co_return ok;
    }
    co_return co_await write("0\r\n\r\n", 5);
  }

  std::uint64_t archived() const { return zip_.written(); }

 private:
  // One write: the size line in the room before the bytes, CRLF after.
  awaitable<Result<void>> send_piece(std::size_t length) {
    const std::string head = fmt::format("{:x}\r\n", length);
    char* start = piece_.data() + kChunkHeadBytes - head.size();
    std::copy(head.begin(), head.end(), start);
    char* tail = piece_.data() + kChunkHeadBytes + length;
    tail[0] = '\r';
    tail[1] = '\n';
    co_return co_await write(start, head.size() + length + 2);
  }

  awaitable<Result<void>> write(const char* data, std::size_t length) {
    r_.c.connection.set_deadline(r_.c.settings.io_timeout);
    co_return co_await r_.c.connection.write(data, length);
  }

  AppRequest& r_;
  net::Buffer& piece_;
  web::ZipWriter zip_;
};

awaitable<Result<void>> send_headers(AppRequest& r, const std::string& name) {
  bh::response<bh::empty_body> res{bh::status::ok, 11};
  add_safety_headers(res);
  add_app_headers(res, kFilePolicy, r.c.settings.hsts);
  res.set(bh::field::content_type, "application/zip");
  res.set(bh::field::content_disposition, web::attachment_disposition(name + ".zip"));
  res.set(bh::field::cache_control, "no-store");
  res.chunked(true);
  res.keep_alive(r.keep_alive);
  r.c.connection.set_deadline(r.c.settings.io_timeout);
  boost::system::error_code ec;
  auto stream = r.c.connection.async_stream();
  // The header alone: a whole write of a chunked empty body would end it
  // with the last chunk at once.
  bh::response_serializer<bh::empty_body> serializer{res};
  co_await bh::async_write_header(stream, serializer,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return make_error(Errc::kNetwork, ec.message());
  }
  co_return Result<void>{};
}

awaitable<Result<void>> send_archive(AppRequest& r, const std::vector<ZipEntry>& entries,
                                     std::uint64_t& archived) {
  net::Buffer piece(&r.c.services.transfer_memory, kFreePieceBytes);
  constexpr std::size_t kBytes = kChunkHeadBytes + kZipPieceBytes + 2;
  if (!piece.grow(kBytes, kBytes, 0)) {
    co_return make_error(Errc::kTooLarge, "server busy (transfer memory)");
  }
  ZipStream zip(r, piece);
  for (const ZipEntry& entry : entries) {
    Result<void> ok;
    if (entry.is_dir) {  // (not a ?: of two co_awaits: GCC 12 miscompiles those)
      ok = co_await zip.send_folder(entry);
    } else {
      ok = co_await zip.send_file(entry);
    }
    if (!ok) {
      archived = zip.archived();
      co_return ok;
    }
  }
  auto ended = co_await zip.end();
  archived = zip.archived();
  co_return ended;
}

bh::status zip_refusal(Errc code) {
  switch (code) {
    case Errc::kNotFound:
      return bh::status::not_found;
    case Errc::kBadPath:
      return bh::status::bad_request;
    case Errc::kTooLarge:
      return bh::status::payload_too_large;
    case Errc::kNotDir:
      return bh::status::conflict;
    default:
      return bh::status::service_unavailable;
  }
}

}  // namespace

awaitable<Result<unsigned>> api_zip(AppRequest& r) {
  std::string path = path_param(r, "path");
  std::string top = path.empty() ? r.c.files->user() : path.substr(path.rfind('/') + 1);
  std::string root = path;
  std::string name = top;
  auto entries = co_await walk(*r.c.files, std::move(root), std::move(name));
  if (!entries) {
    co_return co_await reply_text(r, zip_refusal(entries.error().code), entries.error().message);
  }
  if (auto ok = co_await send_headers(r, top); !ok) {
    co_return ok.error();
  }
  std::uint64_t archived = 0;
  auto sent = co_await send_archive(r, *entries, archived);
  spdlog::info("user={} peer={} https zip path={} entries={} bytes={}{}", r.c.files->user(),
               r.c.peer.peer, protocol::percent_encode(path), entries->size(), archived,
               sent ? "" : " cut: " + sent.error().message);
  if (!sent) {
    co_return sent.error();  // headers are out: the connection ends, the download fails
  }
  co_return 200U;
}

}  // namespace sfs::http
