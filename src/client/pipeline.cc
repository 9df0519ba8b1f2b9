// Many files on one connection: small uploads go out whole with "PUT ...
// now" and downloads' GETs go out ahead, up to a bounded window of requests
// in flight; the server answers in order (docs/protocol.md, "Pipelining").

#include <cstdio>
#include <utility>

#include "client/connection.h"
#include "client/interrupt.h"
#include "client/local_digests.h"
#include "client/local_file.h"
#include "client/progress.h"
#include "crypto/digest.h"
#include "protocol/frame.h"
#include "protocol/limits.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "wire/channel.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// A small file read whole, with its XXH3-128 digest.
struct SmallFile {
  std::string data;
  std::string digest;
  std::int64_t mtime = -1;
};

Result<SmallFile> read_small(const fs::path& local) {
  SFS_ASSIGN_OR_RETURN(auto source, LocalSource::open(local));
  SmallFile file;
  file.mtime = source.mtime();
  file.data.resize(source.size());
  std::size_t at = 0;
  while (at < file.data.size()) {
    SFS_ASSIGN_OR_RETURN(const std::size_t n,
                         source.read(file.data.data() + at, file.data.size() - at));
    if (n == 0) {
      return make_error(Errc::kLocal, local.string() + ": the file shrank while it was read");
    }
    at += n;
  }
  crypto::Digest hash;
  hash.update(file.data.data(), file.data.size());
  file.digest = hash.hex_digest();
  // The next sync or put of an unchanged file then needs no read.
  LocalDigests::shared().remember(source.status(), file.digest, source.opened_at());
  return file;
}

protocol::Put offer_of(const std::string& remote, const SmallFile& file, bool keep_time, bool now) {
  protocol::Put put{remote, file.data.size()};
  if (keep_time && file.mtime >= 0) {
    put.mtime = static_cast<std::uint64_t>(file.mtime);
  }
  put.digest = file.digest;
  put.now = now;
  return put;
}

// The data of a whole file in frames (none for an empty file), the end
// frame and the digest trailer, appended to `out`: all that follows a PUT
// ... now or a FROM 0, for one write. Raw frames even when compression is
// on (a receiver takes both mixed): small files are not worth a zstd context.
void append_body(const SmallFile& file, std::string& out) {
  std::size_t at = 0;
  char header[protocol::kFrameHeaderBytes];
  while (at < file.data.size()) {
    const std::size_t n =
        std::min<std::size_t>(file.data.size() - at, protocol::kDefaultFrameBytes);
    protocol::encode_frame_header(static_cast<std::uint32_t>(n), header);
    out.append(header, sizeof header);
    out.append(file.data, at, n);
    at += n;
  }
  protocol::encode_frame_header(protocol::kEndFrame, header);
  out.append(header, sizeof header);
  out += protocol::digest_line(file.digest);
}

bool ends_session(const Error& e) {
  return e.code == Errc::kNetwork || e.code == Errc::kProtocol || e.code == Errc::kAuth;
}

bool is_small(const fs::path& local) {
  std::error_code ec;
  const auto size = fs::file_size(local, ec);
  return !ec && size <= Connection::kSmallFileBytes;
}

}  // namespace

awaitable<Result<bool>> Connection::read_put_reply(std::string digest) {
  SFS_CO_ASSIGN_OR_RETURN(auto line, co_await channel_->read_line(protocol::kMaxLineBytes));
  SFS_CO_ASSIGN_OR_RETURN(auto reply, protocol::parse_reply(line));
  if (!reply.ok) {
    co_return reply.to_error();
  }
  if (reply.fields.size() == 1 && reply.fields[0] == "unchanged") {
    co_return true;
  }
  if (reply.fields.size() != 2) {
    co_return make_error(Errc::kProtocol, "malformed reply from server");
  }
  if (reply.fields[1] != digest) {
    co_return make_error(Errc::kIntegrity, "server stored different data than was sent");
  }
  co_return false;
}

// Known to take offers: one write, one reply. Not known yet: the two-step
// form, which a server without offers refuses as a whole (ERR BADCMD)
// without reading anything after the line.
awaitable<Result<bool>> Connection::do_put_small(protocol::Put put, std::string data) {
  SmallFile file{std::move(data), put.digest};
  if (offers_.value_or(false)) {
    put.now = true;
    std::string out = protocol::serialize_request(put);
    append_body(file, out);
    SFS_CO_RETURN_IF_ERROR(co_await channel_->write(out));
    co_return co_await read_put_reply(put.digest);
  }
  put.now = false;
  SFS_CO_ASSIGN_OR_RETURN(auto reply, co_await request(protocol::serialize_request(put)));
  if (!reply.ok && reply.code == Errc::kBadRequest) {
    offers_ = false;
    co_return make_error(Errc::kBadRequest, "the server does not take PUT with a digest");
  }
  if (!reply.ok) {
    co_return reply.to_error();
  }
  offers_ = true;
  if (reply.fields.size() == 1 && reply.fields[0] == "unchanged") {
    co_return true;
  }
  if (reply.fields.size() != 2) {
    co_return make_error(Errc::kProtocol, "malformed reply from server");
  }
  std::string out = protocol::from_line(0);  // too small to be worth resuming
  append_body(file, out);
  SFS_CO_RETURN_IF_ERROR(co_await channel_->write(out));
  co_return co_await read_put_reply(put.digest);
}

Result<bool> Connection::put_small(const fs::path& local, const std::string& remote, bool keep_time,
                                   bool show_progress) {
  if (offers_ == false) {
    return make_error(Errc::kBadRequest, "the server does not take PUT with a digest");
  }
  SFS_ASSIGN_OR_RETURN(auto file, read_small(local));
  if (file.data.size() > kSmallFileBytes) {
    return make_error(Errc::kBadRequest, "not a small file: " + local.string());
  }
  std::optional<ProgressBar> bar;  // one step: nothing between empty and full
  if (show_progress) {
    bar.emplace("put " + remote, file.data.size());
  }
  const protocol::Put put = offer_of(remote, file, keep_time, false);
  const std::uint64_t size = file.data.size();
  auto sent = retrying<bool>([&] { return run(do_put_small(put, file.data)); });
  if (sent && bar) {
    bar->update(size);
  }
  return sent;
}

awaitable<Result<void>> Connection::settle_puts(std::deque<InFlightPut>& in_flight,
                                                std::size_t keep, const PutDone& done) {
  while (in_flight.size() > keep) {
    const InFlightPut front = in_flight.front();
    in_flight.pop_front();
    auto result = co_await read_put_reply(front.digest);
    done(front.job, result);
    if (!result && ends_session(result.error())) {
      co_return result.error();
    }
  }
  co_return Result<void>{};
}

// A small file, once the server is known to take offers, goes out at once
// and joins the window; anything else waits for the window to empty and
// goes alone (the first small file asks whether offers are taken).
awaitable<Result<void>> Connection::send_one(const PutJob& job, std::size_t index, bool resume,
                                             bool keep_time, bool force,
                                             std::deque<InFlightPut>& in_flight,
                                             const PutDone& done) {
  // Compressed connections keep zstd frames, and --force must not be
  // skipped: those files go the usual way.
  const bool small = is_small(job.local) && !channel_->compression() && !force;
  if (!small || !offers_.value_or(false)) {
    SFS_CO_RETURN_IF_ERROR(co_await settle_puts(in_flight, 0, done));
  }
  Result<bool> result = false;
  bool alone = !small || offers_ == false;
  if (!alone) {
    auto file = read_small(job.local);
    if (!file) {  // nothing sent for it
      done(index, file.error());
      co_return Result<void>{};
    }
    protocol::Put put = offer_of(job.remote, *file, keep_time, true);
    if (offers_) {
      std::string out = protocol::serialize_request(put);
      append_body(*file, out);
      // (held to share a send with the next ones; it goes before this side
      // waits for a reply)
      SFS_CO_RETURN_IF_ERROR(co_await channel_->write_soon(out));
      in_flight.push_back({index, put.digest});
      co_return co_await settle_puts(in_flight, kWindowFiles - 1, done);
    }
    result = co_await do_put_small(std::move(put), std::move(file->data));
    alone = offers_ == false;  // refused: an older server
  }
  if (alone) {
    auto sent = co_await do_put(job.local, job.remote, false, resume, keep_time);
    result = sent ? Result<bool>(false) : Result<bool>(sent.error());
  }
  done(index, result);
  if (!result && ends_session(result.error())) {
    co_return result.error();
  }
  co_return Result<void>{};
}

awaitable<Result<void>> Connection::do_put_many(std::vector<PutJob> jobs, bool resume,
                                                bool keep_time, PutDone done, bool force) {
  std::deque<InFlightPut> in_flight;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (interrupt_requested()) {  // Ctrl-C: what is in flight is lost with the connection
      cut();
      channel_->close();
      co_return make_error(Errc::kNetwork, "interrupted; run it again to continue");
    }
    SFS_CO_RETURN_IF_ERROR(
        co_await send_one(jobs[i], i, resume, keep_time, force, in_flight, done));
  }
  co_return co_await settle_puts(in_flight, 0, done);
}

Result<void> Connection::put_many(const std::vector<PutJob>& jobs, bool resume, bool keep_time,
                                  const PutDone& done, bool force) {
  std::size_t next = 0;  // the first job not reported to `done`
  return retrying<void>([&] {
    const std::size_t base = next;
    const PutDone report = [&](std::size_t i, const Result<bool>& result) {
      if (!result && may_retry(result.error())) {
        return;  // the connection was lost: sent again on the next one
      }
      next = base + i + 1;
      done(base + i, result);
    };
    const std::vector<PutJob> rest(jobs.begin() + static_cast<std::ptrdiff_t>(base), jobs.end());
    return run(do_put_many(rest, resume, keep_time, report, force));
  });
}

awaitable<Result<void>> Connection::settle_gets(const std::vector<GetJob>& jobs,
                                                std::deque<InFlightGet>& in_flight,
                                                std::size_t keep_files, std::size_t keep_bytes,
                                                const GetDone& done) {
  std::size_t bytes = 0;
  for (const InFlightGet& g : in_flight) {
    bytes += g.line_bytes;
  }
  while (!in_flight.empty() && (in_flight.size() > keep_files || bytes > keep_bytes)) {
    InFlightGet front = std::move(in_flight.front());
    in_flight.pop_front();
    bytes -= front.line_bytes;
    const GetJob& job = jobs[front.job];
    std::optional<std::int64_t> mtime = job.mtime;
    if (front.asked_time) {
      auto stat = co_await request("");
      if (!stat) {
        co_return stat.error();
      }
      time_of(*stat, &mtime);
    }
    auto reply = co_await request("");
    Result<void> result = reply ? Result<void>() : Result<void>(reply.error());
    if (reply) {
      result = co_await finish_get(front.part, std::move(*reply), front.offset, job.remote,
                                   job.local, false, mtime);
    }
    done(front.job, result);
    if (!result && ends_session(result.error())) {
      co_return result.error();
    }
  }
  co_return Result<void>{};
}

awaitable<Result<void>> Connection::do_get_many(std::vector<GetJob> jobs, bool resume,
                                                GetDone done) {
  std::deque<InFlightGet> in_flight;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (interrupt_requested()) {
      cut();
      channel_->close();
      co_return make_error(Errc::kNetwork, "interrupted; run it again to continue");
    }
    auto part = LocalDownload::open(jobs[i].local, resume);
    if (!part) {  // nothing sent for it
      done(i, part.error());
      continue;
    }
    const bool can_resume = part->held() > 0 && !part->recorded_digest().empty();
    const protocol::Get get{jobs[i].remote, can_resume ? part->held() : 0,
                            can_resume ? part->recorded_digest() : std::string()};
    const bool ask_time = jobs[i].ask_time && !jobs[i].mtime;
    const std::string line =
        (ask_time ? protocol::serialize_request(protocol::Stat{jobs[i].remote}) : std::string()) +
        protocol::serialize_request(get);
    // Room first: the lines the server has not answered stay within bounds.
    SFS_CO_RETURN_IF_ERROR(co_await settle_gets(jobs, in_flight, kWindowFiles - 1,
                                                kWindowLineBytes - line.size(), done));
    SFS_CO_RETURN_IF_ERROR(co_await channel_->write_soon(line));  // as a PUT's above
    in_flight.push_back({i, std::move(*part), get.offset, line.size(), ask_time});
  }
  co_return co_await settle_gets(jobs, in_flight, 0, 0, done);
}

Result<void> Connection::get_many(const std::vector<GetJob>& jobs, bool resume,
                                  const GetDone& done) {
  std::size_t next = 0;  // as put_many's
  return retrying<void>([&] {
    const std::size_t base = next;
    const GetDone report = [&](std::size_t i, const Result<void>& result) {
      if (!result && may_retry(result.error())) {
        return;
      }
      next = base + i + 1;
      done(base + i, result);
    };
    const std::vector<GetJob> rest(jobs.begin() + static_cast<std::ptrdiff_t>(base), jobs.end());
    return run(do_get_many(rest, resume, report));
  });
}

}  // namespace sfs::client
