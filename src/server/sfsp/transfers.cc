// The sfs door's transfers: PUT (offer, FROM, data, trailer), GET and VIEW.

#include <spdlog/spdlog.h>

#include <optional>
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
namespace {

// A download's bytes, for the wire's senders.
wire::Source source_of(files::Download& file) {
  return [&file](char* data, std::size_t max) -> awaitable<Result<std::size_t>> {
    co_return co_await file.read(data, max);
  };
}

}  // namespace

awaitable<Result<void>> Session::put(const Request& request) {
  const auto& put = std::get<protocol::Put>(request);
  std::optional<files::Upload> upload;
  if (!put.digest.empty()) {  // the same file there already: nothing to send
    // (PUT ... now: the data comes whole with it, not worth a partial to
    // resume; the client sends such a file whole again)
    auto begun =
        co_await files_->begin_upload_unless_same(put.path, put.size, put.digest, !put.now);
    if (!begun) {
      co_return begun.error();
    }
    if (!*begun) {
      co_return co_await skip_unchanged(put);
    }
    upload.emplace(std::move(**begun));
  } else {
    auto begun = co_await files_->begin_upload(put.path, put.size, true);
    if (!begun) {
      co_return begun.error();
    }
    upload.emplace(std::move(*begun));
  }
  if (put.mtime) {  // a client keeping the local file's time (kMaxMtime fits)
    upload->set_mtime(static_cast<std::int64_t>(*put.mtime));
  }
  auto received = co_await receive_upload(put, *upload);
  if (!received) {
    // A cut one may resume, and one whose store went away (its backend keeps
    // what the store holds); one refused for its bytes or a full disk not.
    const Error& why = received.error();
    co_await upload->stop(why.code == Errc::kNetwork || is_storage_unavailable(why));
  }
  co_return received;
}

awaitable<Result<void>> Session::skip_unchanged(const protocol::Put& put) {
  if (put.now) {  // the data is on its way: read it through, then answer
    SFS_CO_RETURN_IF_ERROR(co_await drain_body());
  }
  std::string line = protocol::ok_line({"unchanged"});
  co_return co_await reply(std::move(line));
}

awaitable<Result<void>> Session::drain_body() {
  const std::uint64_t size = *body_due_;
  body_due_.reset();
  const wire::Sink drop = [](const char*, std::size_t) -> awaitable<Result<void>> {
    co_return Result<void>{};
  };
  const wire::Progress none;
  auto received =
      co_await wire::receive_stream(*channel_, size, drop, none, config().max_frame_bytes,
                                    &shared_->transfer_io, &shared_->transfer_memory);
  if (!received) {  // an abort frame has no trailer after it
    co_return received.error().code == Errc::kAborted ? Result<void>{} : received;
  }
  SFS_CO_ASSIGN_OR_RETURN(auto trailer, co_await channel_->read_line(config().max_line_bytes));
  SFS_CO_RETURN_IF_ERROR(protocol::parse_digest_line(trailer));
  co_return Result<void>{};
}

awaitable<Result<std::uint64_t>> Session::agree_start(files::Upload& upload) {
  const files::Upload::Offer& offer = upload.offer();
  const std::string offer_line = protocol::ok_line(
      {std::to_string(offer.held), offer.held > 0 ? offer.digest : std::string("-")});
  SFS_CO_RETURN_IF_ERROR(co_await channel_->write(offer_line));
  SFS_CO_ASSIGN_OR_RETURN(auto from_line, co_await channel_->read_line(config().max_line_bytes));
  auto from = protocol::parse_from_line(from_line);
  if (!from || (*from != 0 && *from != offer.held)) {
    co_return make_error(Errc::kProtocol, "FROM must be 0 or the offered length");
  }
  co_return *from;
}

awaitable<Result<void>> Session::receive_upload(const protocol::Put& put, files::Upload& upload) {
  std::uint64_t from = 0;  // a PUT ... now starts at 0, without offer and FROM
  if (!put.now) {
    SFS_CO_ASSIGN_OR_RETURN(from, co_await agree_start(upload));
  }
  resumed_from_ = from;
  if (auto ok = co_await upload.start_at(from); !ok) {
    co_return ok;
  }
  body_due_.reset();  // from here on the stream is read whatever happens
  const wire::Sink sink = [&upload](const char* data, std::size_t n) -> awaitable<Result<void>> {
    co_return co_await upload.write(data, n);
  };
  auto received = co_await wire::receive_stream(
      *channel_, put.size - from, sink, [this](std::uint64_t n) { bytes_ = n; },
      config().max_frame_bytes, &shared_->transfer_io, &shared_->transfer_memory);
  if (!received) {
    if (wire::stream_completed(received.error())) {  // e.g. disk full: skip the trailer too
      if (auto skipped = co_await channel_->read_line(config().max_line_bytes); !skipped) {
        co_return skipped.error();
      }
    }
    co_return received;
  }
  SFS_CO_ASSIGN_OR_RETURN(auto trailer, co_await channel_->read_line(config().max_line_bytes));
  SFS_CO_ASSIGN_OR_RETURN(auto claimed, protocol::parse_digest_line(trailer));
  if (put.now && claimed != put.digest) {  // read through: the session goes on
    co_return make_error(Errc::kIntegrity, "the trailer differs from the digest in the PUT");
  }
  auto stored = co_await upload.finish(claimed);
  if (!stored) {
    co_return stored.error();
  }
  std::string done = protocol::ok_line({std::to_string(stored->size), stored->digest});
  co_return co_await reply(std::move(done));
}

awaitable<Result<void>> Session::stream_file(files::Download& file, std::uint64_t length,
                                             const wire::Check& before_end) {
  const wire::Source source = source_of(file);
  // After an abort frame the error goes out as the ERR line that follows it.
  co_return co_await wire::send_stream(
      *channel_, length, source, protocol::kDefaultFrameBytes,
      [this](std::uint64_t n) { bytes_ = n; }, before_end, &shared_->transfer_io,
      &shared_->transfer_memory);
}

awaitable<Result<void>> Session::send_whole_file(files::Download& file, std::string head,
                                                 std::uint64_t length,
                                                 const wire::Check& before_end) {
  const wire::Source source = source_of(file);
  std::string out = std::move(head);
  if (auto streamed = co_await wire::append_whole_stream(out, length, source, before_end);
      !streamed) {
    if (auto sent = co_await reply(std::move(out)); !sent) {  // the head and the abort frame
      co_return sent;
    }
    co_return streamed;  // the ERR line that follows the abort frame
  }
  bytes_ = length;
  out += protocol::digest_line(co_await file.finish());
  co_return co_await reply(std::move(out));
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
  std::string head = protocol::ok_line(
      {std::to_string(size), stored.empty() ? "-" : stored, std::to_string(file->start())});
  auto check = [&]() -> Result<void> {
    auto ok = file->check();
    if (!ok) {
      spdlog::error("user={} path={} stored file does not match its digest (bitrot?)", user_,
                    protocol::percent_encode(get.path));
    }
    return ok;
  };
  // A small file's reply goes whole, in one send with the replies pipelined
  // around it (compressed, it takes the stream's frames).
  const std::uint64_t length = size - file->start();
  if (length <= wire::kWholeStreamBytes && !channel_->compression()) {
    co_return co_await send_whole_file(*file, std::move(head), length, check);
  }
  if (auto ok = co_await reply(std::move(head)); !ok) {
    co_return ok;
  }
  if (auto sent = co_await stream_file(*file, length, check); !sent) {
    co_return sent;
  }
  const std::string digest = co_await file->finish();
  std::string trailer = protocol::digest_line(digest);
  co_return co_await reply(std::move(trailer));
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
