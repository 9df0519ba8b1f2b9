// The sfs door's transfers: PUT (offer, FROM, data, trailer), GET and VIEW.

#include <spdlog/spdlog.h>

#include <string>

#include "files/user_files.h"
#include "protocol/limits.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/sfsp/session.h"
#include "wire/channel.h"
#include "wire/transfer.h"

namespace sfs::server::sfsp {

awaitable<Result<void>> Session::put(const Request& request) {
  const auto& put = std::get<protocol::Put>(request);
  auto upload = co_await files_->begin_upload(put.path, put.size, true);
  if (!upload) {
    co_return upload.error();
  }
  if (put.mtime) {  // a client keeping the local file's time (kMaxMtime fits)
    upload->set_mtime(static_cast<std::int64_t>(*put.mtime));
  }
  auto received = co_await receive_upload(put, *upload);
  if (!received) {
    co_await upload->stop(received.error().code == Errc::kNetwork);  // only a cut one may resume
  }
  co_return received;
}

awaitable<Result<void>> Session::receive_upload(const protocol::Put& put, files::Upload& upload) {
  const files::Upload::Offer& offer = upload.offer();
  const std::string offer_line = protocol::ok_line(
      {std::to_string(offer.held), offer.held > 0 ? offer.digest : std::string("-")});
  if (auto ok = co_await channel_->write(offer_line); !ok) {
    co_return ok;
  }
  auto from_line = co_await channel_->read_line(config().max_line_bytes);
  if (!from_line) {
    co_return from_line.error();
  }
  auto from = protocol::parse_from_line(*from_line);
  if (!from || (*from != 0 && *from != offer.held)) {
    co_return make_error(Errc::kProtocol, "FROM must be 0 or the offered length");
  }
  resumed_from_ = *from;
  if (auto ok = co_await upload.start_at(*from); !ok) {
    co_return ok;
  }
  const wire::Sink sink = [&upload](const char* data, std::size_t n) -> awaitable<Result<void>> {
    co_return co_await upload.write(data, n);
  };
  auto received = co_await wire::receive_stream(
      *channel_, put.size - *from, sink, [this](std::uint64_t n) { bytes_ = n; },
      config().max_frame_bytes, &shared_->transfer_io, &shared_->transfer_memory);
  if (!received) {
    if (wire::stream_completed(received.error())) {  // e.g. disk full: skip the trailer too
      if (auto skipped = co_await channel_->read_line(config().max_line_bytes); !skipped) {
        co_return skipped.error();
      }
    }
    co_return received;
  }
  auto trailer = co_await channel_->read_line(config().max_line_bytes);
  if (!trailer) {
    co_return trailer.error();
  }
  auto claimed = protocol::parse_digest_line(*trailer);
  if (!claimed) {
    co_return claimed.error();
  }
  auto stored = co_await upload.finish(*claimed);
  if (!stored) {
    co_return stored.error();
  }
  const std::string done = protocol::ok_line({std::to_string(stored->size), stored->digest});
  co_return co_await channel_->write(done);
}

awaitable<Result<void>> Session::stream_file(files::Download& file, std::uint64_t length,
                                             const wire::Check& before_end) {
  const wire::Source source = [&file](char* data,
                                      std::size_t max) -> awaitable<Result<std::size_t>> {
    co_return co_await file.read(data, max);
  };
  // After an abort frame the error goes out as the ERR line that follows it.
  co_return co_await wire::send_stream(
      *channel_, length, source, protocol::kDefaultFrameBytes,
      [this](std::uint64_t n) { bytes_ = n; }, before_end, &shared_->transfer_io,
      &shared_->transfer_memory);
}

awaitable<Result<void>> Session::get(const Request& request) {
  const auto& get = std::get<protocol::Get>(request);
  auto file = co_await files_->open_download(get.path, get.offset, get.digest);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t size = file->size();
  const std::string& stored = file->stored_digest();
  resumed_from_ = file->start();
  const std::string head = protocol::ok_line(
      {std::to_string(size), stored.empty() ? "-" : stored, std::to_string(file->start())});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  auto check = [&]() -> Result<void> {
    auto ok = file->check();
    if (!ok) {
      spdlog::error("user={} path={} stored file does not match its digest (bitrot?)", user_,
                    protocol::percent_encode(get.path));
    }
    return ok;
  };
  if (auto sent = co_await stream_file(*file, size - file->start(), check); !sent) {
    co_return sent;
  }
  const std::string digest = co_await file->finish();
  const std::string trailer = protocol::digest_line(digest);
  co_return co_await channel_->write(trailer);
}

awaitable<Result<void>> Session::view(const Request& request) {
  const auto& view = std::get<protocol::View>(request);
  auto file = co_await files_->open_preview(view.path);
  if (!file) {
    co_return file.error();
  }
  const std::uint64_t length = std::min(file->size(), view.max_bytes);
  const std::string head = protocol::ok_line({std::to_string(length)});
  if (auto ok = co_await channel_->write(head); !ok) {
    co_return ok;
  }
  co_return co_await stream_file(*file, length, {});
}

}  // namespace sfs::server::sfsp
