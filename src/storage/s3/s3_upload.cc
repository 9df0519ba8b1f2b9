// An upload to S3: bytes buffered up to one part, each full part sent with
// UploadPart, the whole made visible by CompleteMultipartUpload at commit
// (a file smaller than a part is one PutObject). Full parts go out while
// the next ones fill (Flights, up to kMaxFlights at once): the writer waits
// for a part only when that many are on their way, so the client's bytes
// keep coming while the store takes them (1 GiB onto radosgw here: 13 s with
// the writer waiting for each part, 7 s with one on its way). A resumable upload
// kept for later writes its sidecar (storage/s3/s3_shared.h, Partial): the multipart upload's id,
// the digest state of the parts sent (S3 cannot read them back) and the tail that did not fill a
// part.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include "asio/completion.h"
#include "base/byte_budget.h"
#include "crypto/digest.h"
#include "storage/s3/s3_copy.h"
#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {
namespace {

// Parts in flight beyond each upload's own buffer, all uploads together; past
// it an upload sends its parts one at a time, waiting for each, as it would
// with no overlap (memory stays bounded whatever the number of uploads).
constexpr std::uint64_t kMaxFlyingBytes = std::uint64_t{256} << 20;
// Parts on their way per upload.
constexpr std::size_t kMaxFlights = 4;
ByteBudget flying_budget(kMaxFlyingBytes);

// A part on its way: its bytes, the digest state after it (a resumable
// upload's) and, once done, its ETag or the failure. It runs on the pool, so
// it is done whatever the uploader's executor is doing (the destructor
// blocks on it), and it touches no executor but a waiter's: the uploader's
// io_context may be gone by the time it ends (a test's, say), while a
// waiter's runs as long as it waits.
struct Flight {
  // `budgeted`: its bytes were taken from flying_budget.
  Flight(std::string part, int part_number, bool budgeted)
      : bytes(std::move(part)), accounted(budgeted ? bytes.size() : 0), number(part_number) {}
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;
  ~Flight() { flying_budget.give_back(accounted); }

  std::string bytes;
  std::size_t accounted;  // taken from flying_budget (bytes may be moved out)
  int number;
  crypto::Digest next;
  Completion<Result<std::string>> etag;
};

// Runs on the upload's strand of the pool, where the flights start in the
// order they were sent: a resumable upload's parts go through `chain` (the
// digest state of every part so far, touched there only) in order, each
// flight keeping a copy of the state after its part. The UploadParts then
// run side by side (the strand is free while one waits).
awaitable<void> fly(std::shared_ptr<Flight> flight, std::shared_ptr<Shared> shared, std::string key,
                    std::string upload_id, std::shared_ptr<crypto::Digest> chain) {
  if (chain) {
    chain->update(flight->bytes.data(), flight->bytes.size());
    flight->next.copy_from(*chain);
  }
  auto etag = co_await shared->s3->upload_part(key, upload_id, flight->number, flight->bytes.data(),
                                               flight->bytes.size());
  flight->etag.set(std::move(etag));
}

class S3Write final : public WriteHandle {
 public:
  S3Write(std::shared_ptr<Shared> shared, std::string root, std::string path, bool resumable)
      : shared_(std::move(shared)),
        root_(std::move(root)),
        path_(std::move(path)),
        key_(root_ + path_),
        resumable_(resumable) {
    shared_->add_running(key_);
  }
  // Keeps what a resumable upload holds, inline: the destructor cannot
  // await, so it drives the requests on a private io_context (the S3
  // requests themselves still run on the pool).
  ~S3Write() override {
    for (const auto& flight : flights_) {  // on the pool: done whatever this thread does
      flight->etag.block_until_done();
    }
    if (done_) {
      return;
    }
    asio::io_context io;
    asio::co_spawn(io, keep_for_resume(), asio::detached);
    io.run();
  }

  // Continues the partial kept in `sidecar` (claimed for this upload).
  awaitable<void> resume(std::string sidecar);
  awaitable<std::optional<Partial>> read_kept(std::uint64_t size);
  // Continues `partial`'s parts and tail (or starts over when they cannot be).
  awaitable<void> take_over(Partial partial);

  std::uint64_t held() const override { return held_; }
  bool resumable() const override { return resumable_; }
  std::uint64_t held_digest(crypto::Digest& digest) const override;
  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override;
  awaitable<Result<void>> continue_at(std::uint64_t offset) override;
  awaitable<Result<void>> write(const char* data, std::size_t length) override;
  awaitable<Result<void>> set_digest(std::string hex) override {
    digest_ = std::move(hex);
    co_return Result<void>();
  }
  void set_mtime(std::int64_t seconds) override { mtime_ = seconds; }
  awaitable<Result<Usage>> commit() override;
  awaitable<void> discard() override;
  awaitable<std::uint64_t> keep_for_resume() override;

 private:
  // Writes the sidecar: the whole parts sent and `tail` after them; false
  // when the store refused it.
  awaitable<bool> store_sidecar(const std::string& tail);
  Partial partial_of(const std::string& tail) const;
  // Keeps the whole parts' sidecar in memory (Shared::unwritten) when the
  // store did not take it: the bytes kept, 0 when there are none or the
  // table is full.
  std::uint64_t keep_unwritten();
  std::uint64_t sent() const { return std::uint64_t{parts_.size()} * shared_->part_size; }
  // Sends buffer_ as the next part: off it goes, after the oldest part on
  // its way is waited for if kMaxFlights are; with `wait`, all are.
  awaitable<Result<void>> send_part(bool wait = false);
  // Waits for every part on its way (land_one each, oldest first).
  awaitable<Result<void>> land();
  // Waits for the oldest part on its way: a part sent joins parts_; a failed
  // one's bytes become buffer_ again and the parts after it are let go (the
  // upload holds what it held before that part; the error goes to the
  // caller, whose client resumes from there).
  awaitable<Result<void>> land_one();
  awaitable<void> abort_parts();
  awaitable<void> drop_unwritten();
  // Takes over the parts a sidecar names: kIo with the reason when they
  // cannot be continued (the caller then starts over).
  awaitable<Result<void>> continue_parts(const Partial& partial);
  awaitable<Result<std::vector<PartEntry>>> whole_parts(std::string key, std::string id, int count);
  awaitable<Result<void>> check_target(Usage& replaced);
  awaitable<Result<void>> store();
  Metadata metadata() const;
  void end();

  std::shared_ptr<Shared> shared_;
  std::string root_;
  std::string path_;
  std::string key_;
  bool resumable_;
  std::string sidecar_;          // the partial this upload claimed ("" none)
  bool sidecar_stored_ = false;  // it may exist in the bucket: delete it at the end
  std::uint64_t held_ = 0;
  std::string buffer_;                           // at most one part
  std::deque<std::shared_ptr<Flight>> flights_;  // parts on their way, oldest first
  // Where the flights run, in order (fly); `chain_` is the digest state of a
  // resumable upload's parts sent and on their way, touched on the strand.
  asio::strand<asio::thread_pool::executor_type> strand_{shared_->pool->get_executor()};
  std::shared_ptr<crypto::Digest> chain_;
  std::string upload_id_;
  std::string mp_key_;  // the key the multipart upload was made for
  std::vector<PartEntry> parts_;
  std::uint64_t sidecar_at_ = 0;  // the bytes of whole parts the last sidecar named
  // The digest state of the parts' bytes (a resumable upload's only): what
  // the sidecar keeps, since a resume cannot read the parts back.
  crypto::Digest sent_digest_;
  std::string digest_;
  std::optional<std::int64_t> mtime_;
  bool done_ = false;
};

// A HEAD first: most uploads have no partial, and its 404 comes without a
// body (a GET's error XML may wait for a delayed ACK), nor does it need a
// buffer of a whole part. A sidecar the store did not take when this
// partial was kept (it was away: Shared::unwritten) is continued when it
// names more parts than the store's (a sidecar stored along the way names
// fewer) or the store has none.
awaitable<void> S3Write::resume(std::string sidecar) {
  sidecar_ = std::move(sidecar);
  auto kept = co_await shared_->s3->head_object(sidecar_);
  sidecar_stored_ = kept || kept.error().code != Errc::kNotFound;
  if (!kept && sidecar_stored_) {
    co_return;  // the store does not answer: start afresh (an unwritten partial waits)
  }
  std::optional<UnwrittenPartial> unwritten = shared_->unwritten.take(sidecar_);
  std::optional<Partial> partial;
  if (kept) {
    partial = co_await read_kept(kept->size);
  }
  // Of the two, the one holding more parts (a sidecar stored along the way
  // names fewer than the same upload's cut kept in memory).
  const bool from_memory = unwritten && (!partial || unwritten->partial.parts > partial->parts);
  if (from_memory) {
    spdlog::info("S3 partial {}: continuing the {} parts kept while the store was away", sidecar_,
                 unwritten->partial.parts);
    partial = unwritten->partial;
  }
  if (partial) {
    co_await take_over(std::move(*partial));
  }
  if (from_memory) {
    sidecar_at_ = 0;  // no sidecar in the store names these parts yet: the next part writes one
  }
  if (unwritten) {  // continue_parts holds it again if it took it over
    shared_->release_upload(unwritten->partial.upload_id);
  }
}

// The sidecar in the store, decoded; nullopt (after letting a damaged
// one's parts go) when there is none to continue.
awaitable<std::optional<Partial>> S3Write::read_kept(std::uint64_t size) {
  const std::size_t most = kMaxPartialHeader + shared_->part_size;
  std::string body(static_cast<std::size_t>(std::min<std::uint64_t>(size + 1, most)), '\0');
  auto got = co_await shared_->s3->get_object(sidecar_, body.data(), body.size(), 0);
  if (!got) {
    co_return std::nullopt;  // gone or unreadable meanwhile: start afresh
  }
  body.resize(*got);
  auto partial = decode_partial(body);
  if (!partial || partial->tail.size() >= shared_->part_size) {
    // Replaced by this upload's own sidecar or dropped with it, not followed.
    spdlog::warn("S3 partial {}: damaged sidecar; the upload starts over", sidecar_);
    if (partial && partial->parts > 0) {
      (void)co_await shared_->s3->abort_multipart(partial->key, partial->upload_id);
    }
    co_return std::nullopt;
  }
  co_return std::move(*partial);
}

awaitable<void> S3Write::take_over(Partial partial) {
  if (partial.parts > 0) {
    auto continued = co_await continue_parts(partial);
    if (!continued) {
      spdlog::warn("S3 partial {}: {}; the upload starts over", sidecar_,
                   continued.error().message);
      upload_id_.clear();
      parts_.clear();
      sent_digest_.reset();
      // Its parts are of no use now: the multipart upload goes.
      (void)co_await shared_->s3->abort_multipart(partial.key, partial.upload_id);
      co_return;
    }
  }
  buffer_ = std::move(partial.tail);
  held_ = sent() + buffer_.size();
}

// Every part the sidecar counts must be there, 1..n in order and of the
// part size it says (this server's), and the digest state must be of
// exactly their bytes: anything less and the held bytes' digest is unknown.
awaitable<Result<void>> S3Write::continue_parts(const Partial& partial) {
  if (partial.version < 2) {
    co_return make_error(Errc::kIo, "a sidecar of an older build (no digest state of its parts)");
  }
  if (partial.part_size != shared_->part_size) {
    co_return make_error(Errc::kIo, "its parts are of " + std::to_string(partial.part_size) +
                                        " bytes, this server sends " +
                                        std::to_string(shared_->part_size));
  }
  auto covered = sent_digest_.restore(partial.digest_state);
  if (!covered) {
    co_return make_error(Errc::kIo, "digest state refused (" + covered.error().message + ")");
  }
  const std::uint64_t bytes =
      std::uint64_t{static_cast<unsigned>(partial.parts)} * shared_->part_size;
  if (*covered != bytes) {
    co_return make_error(Errc::kIo, "digest state of " + std::to_string(*covered) +
                                        " bytes for parts of " + std::to_string(bytes));
  }
  auto parts = co_await whole_parts(partial.key, partial.upload_id, partial.parts);
  if (!parts) {
    co_return make_error(Errc::kIo, "its multipart upload is gone (" + parts.error().message + ")");
  }
  if (static_cast<int>(parts->size()) != partial.parts) {
    co_return make_error(Errc::kIo, "ListParts shows " + std::to_string(parts->size()) +
                                        " of its " + std::to_string(partial.parts) +
                                        " whole parts");
  }
  upload_id_ = partial.upload_id;
  mp_key_ = partial.key;
  shared_->hold_upload(upload_id_);
  parts_ = std::move(*parts);
  sidecar_at_ = sent();  // the sidecar names these already
  co_return Result<void>();
}

std::uint64_t S3Write::held_digest(crypto::Digest& digest) const {
  if (!resumable_ || parts_.empty()) {
    return 0;
  }
  digest.copy_from(sent_digest_);
  return sent();
}

// Only whole parts count: 1..n in order, each of part_size bytes.
awaitable<Result<std::vector<PartEntry>>> S3Write::whole_parts(std::string key, std::string id,
                                                               int count) {
  std::vector<PartEntry> out;
  int marker = 0;
  while (static_cast<int>(out.size()) < count) {
    SFS_CO_ASSIGN_OR_RETURN(PartsPage page, co_await shared_->s3->list_parts(key, id, marker));
    for (const PartEntry& part : page.parts) {
      if (part.number != static_cast<int>(out.size()) + 1 || part.size != shared_->part_size ||
          static_cast<int>(out.size()) == count) {
        co_return out;
      }
      out.push_back(part);
    }
    if (!page.truncated || page.next_marker <= marker) {
      break;
    }
    marker = page.next_marker;
  }
  co_return out;
}

awaitable<Result<std::size_t>> S3Write::read_at(char* data, std::size_t length,
                                                std::uint64_t offset) {
  SFS_CO_RETURN_IF_ERROR(co_await land());
  if (offset < sent()) {
    // S3 gives no read of an unfinished multipart upload's parts.
    co_return make_error(Errc::kIo, "the parts of an S3 upload cannot be read back");
  }
  const std::uint64_t at = offset - sent();
  if (at >= buffer_.size()) {
    co_return std::size_t{0};
  }
  const std::size_t n = std::min<std::size_t>(length, buffer_.size() - at);
  std::memcpy(data, buffer_.data() + at, n);
  co_return n;
}

awaitable<Result<void>> S3Write::continue_at(std::uint64_t offset) {
  (void)co_await land();  // a failed part is held again, as before it was sent
  if (offset == 0) {
    co_await abort_parts();
    buffer_.clear();
    co_return Result<void>();
  }
  if (offset < sent() || offset > sent() + buffer_.size()) {
    co_return make_error(Errc::kBadRequest, "an S3 upload continues at 0 or at what it holds");
  }
  buffer_.resize(offset - sent());
  co_return Result<void>();
}

awaitable<Result<void>> S3Write::write(const char* data, std::size_t length) {
  while (length > 0) {
    const std::size_t take = std::min(length, shared_->part_size - buffer_.size());
    buffer_.append(data, take);
    data += take;
    length -= take;
    if (buffer_.size() == shared_->part_size) {
      SFS_CO_RETURN_IF_ERROR(co_await send_part());
    }
  }
  co_return Result<void>();
}

awaitable<Result<void>> S3Write::send_part(bool wait) {
  if (upload_id_.empty()) {
    const Metadata none;
    SFS_CO_ASSIGN_OR_RETURN(upload_id_, co_await shared_->s3->create_multipart(key_, none));
    mp_key_ = key_;
    shared_->hold_upload(upload_id_);
  }
  // The parts already there are taken in (their sidecar sooner), and the
  // oldest waited for when kMaxFlights are on their way.
  while (!flights_.empty() && (flights_.size() >= kMaxFlights || flights_.front()->etag.done())) {
    SFS_CO_RETURN_IF_ERROR(co_await land_one());
  }
  const int number = static_cast<int>(parts_.size() + flights_.size()) + 1;
  if (number > kMaxPartNumber) {
    co_return make_error(Errc::kTooLarge, "an S3 upload holds at most 10000 parts");
  }
  const bool budgeted = flying_budget.try_take(buffer_.size());
  if (!budgeted) {
    wait = true;  // over the budget: this one is waited for, as with no overlap
  }
  if (resumable_ && flights_.empty()) {  // no flight touches chain_ now
    chain_ = std::make_shared<crypto::Digest>();
    chain_->copy_from(sent_digest_);
  }
  auto flight = std::make_shared<Flight>(std::exchange(buffer_, std::string()), number, budgeted);
  flights_.push_back(flight);
  buffer_.reserve(shared_->part_size);
  asio::co_spawn(strand_, fly(std::move(flight), shared_, mp_key_, upload_id_, chain_),
                 asio::detached);
  if (wait) {
    SFS_CO_RETURN_IF_ERROR(co_await land());
  }
  co_return Result<void>();
}

awaitable<Result<void>> S3Write::land() {
  while (!flights_.empty()) {
    SFS_CO_RETURN_IF_ERROR(co_await land_one());
  }
  co_return Result<void>();
}

awaitable<Result<void>> S3Write::land_one() {
  const std::shared_ptr<Flight> flight = flights_.front();
  flights_.pop_front();
  co_await flight->etag.wait();
  Result<std::string>& etag = flight->etag.value();
  if (!etag) {
    buffer_ = std::move(flight->bytes);
    for (const auto& later : flights_) {  // let go, once they no longer run
      co_await later->etag.wait();
    }
    flights_.clear();
    co_return etag.error();
  }
  if (resumable_) {
    sent_digest_.copy_from(flight->next);
  }
  parts_.push_back(PartEntry{flight->number, flight->bytes.size(), std::move(*etag)});
  // Now and then, a sidecar naming the parts sent: a server killed (no
  // keep_for_resume) leaves that much to resume, on any node. Best effort:
  // the upload goes on without it.
  if (resumable_ && !sidecar_.empty() && sent() - sidecar_at_ >= shared_->sidecar_every) {
    if (co_await store_sidecar({})) {
      sidecar_at_ = sent();
    }
  }
  co_return Result<void>();
}

awaitable<void> S3Write::abort_parts() {
  (void)co_await land();
  if (!upload_id_.empty()) {
    (void)co_await shared_->s3->abort_multipart(mp_key_, upload_id_);  // remove_stale retries
    shared_->release_upload(upload_id_);
  }
  upload_id_.clear();
  parts_.clear();
  sidecar_at_ = 0;
  sent_digest_.reset();
}

Metadata S3Write::metadata() const {
  Metadata meta;
  if (!digest_.empty()) {
    meta[kDigestMeta] = digest_;
  }
  if (mtime_) {
    meta[kMtimeMeta] = std::to_string(*mtime_);
  }
  return meta;
}

// The name must not be a folder now, and its folder must still be there.
awaitable<Result<void>> S3Write::check_target(Usage& replaced) {
  SFS_CO_ASSIGN_OR_RETURN(Probe target, co_await probe(shared_, root_, path_));
  if (target.kind == Kind::kDir) {
    co_return make_error(Errc::kIsDir, "a folder took the upload's name");
  }
  replaced = target.kind == Kind::kFile ? Usage{target.info.size, 1} : Usage{0, 0};
  std::string parent = parent_prefix(path_);
  if (!parent.empty()) {
    parent.pop_back();
    SFS_CO_ASSIGN_OR_RETURN(Probe folder, co_await probe(shared_, root_, parent));
    if (folder.kind != Kind::kDir) {
      co_return make_error(Errc::kNotFound, "the upload's folder is gone");
    }
  }
  co_return Result<void>();
}

awaitable<Result<void>> S3Write::store() {
  SFS_CO_RETURN_IF_ERROR(co_await land());
  const Metadata meta = metadata();
  if (upload_id_.empty()) {
    SFS_CO_RETURN_IF_ERROR(
        co_await shared_->s3->put_object(key_, buffer_.data(), buffer_.size(), meta));
    co_return Result<void>();
  }
  const std::uint64_t size = sent() + buffer_.size();
  const std::size_t whole_parts = parts_.size();
  crypto::Digest whole_state;  // of the whole parts: what a kept partial may name
  whole_state.copy_from(sent_digest_);
  if (!buffer_.empty()) {
    SFS_CO_RETURN_IF_ERROR(co_await send_part(true));  // the last part may be short
  }
  auto completed = co_await shared_->s3->complete_multipart(mp_key_, upload_id_, parts_);
  if (!completed) {
    // A short last part is no whole part: should the upload be kept, the
    // client sends those bytes again.
    parts_.resize(whole_parts);
    sent_digest_.copy_from(whole_state);
    co_return completed.error();
  }
  shared_->release_upload(upload_id_);
  upload_id_.clear();
  if (mp_key_ != key_) {  // resumed after its folder moved: the object goes where it belongs
    SFS_CO_RETURN_IF_ERROR(co_await copy_whole(shared_, mp_key_, key_, size, meta));
    (void)co_await shared_->s3->delete_object(mp_key_);
  } else if (!meta.empty()) {
    // A multipart upload's metadata is fixed at its start, before the
    // digest is known: a server-side copy onto itself records it (should
    // it fail, the file is there without a digest: unhashed).
    (void)co_await copy_whole(shared_, key_, key_, size, meta);
  }
  co_return Result<void>();
}

awaitable<Result<Usage>> S3Write::commit() {
  Usage replaced;
  auto ok = co_await check_target(replaced);
  if (ok) {
    ok = co_await store();
  }
  if (!ok) {
    if (resumable_ && is_storage_unavailable(ok.error())) {
      (void)co_await keep_for_resume();  // the store went away: the client resumes once it is back
    } else {
      co_await discard();  // over: nothing is kept
    }
    co_return ok.error();
  }
  if (sidecar_stored_) {
    (void)co_await shared_->s3->delete_object(sidecar_);
  }
  co_await drop_unwritten();
  end();
  co_return replaced;
}

awaitable<void> S3Write::discard() {
  if (done_) {
    co_return;
  }
  co_await abort_parts();
  if (sidecar_stored_) {
    (void)co_await shared_->s3->delete_object(sidecar_);
  }
  end();
}

// An entry of this partial left in memory (the store did not answer this
// upload's lookup, so it started afresh) is of no use once the file is
// stored. (A discarded upload leaves it: its parts may still be continued.)
awaitable<void> S3Write::drop_unwritten() {
  if (sidecar_.empty()) {
    co_return;
  }
  if (std::optional<UnwrittenPartial> stale = shared_->unwritten.take(sidecar_)) {
    (void)co_await shared_->s3->abort_multipart(stale->partial.key, stale->partial.upload_id);
    shared_->release_upload(stale->partial.upload_id);
  }
}

awaitable<std::uint64_t> S3Write::keep_for_resume() {
  (void)co_await land();  // a failed part is held again
  if (buffer_.size() >= shared_->part_size) {
    buffer_.clear();  // a whole part as the tail would be refused at resume: it is sent again
  }
  const std::uint64_t total = sent() + buffer_.size();
  if (done_ || !resumable_ || sidecar_.empty() || total == 0) {
    co_await discard();
    co_return 0;
  }
  std::uint64_t kept = total;
  if (!co_await store_sidecar(buffer_)) {
    kept = keep_unwritten();  // the store is away, most likely: its parts are not
  }
  if (kept == 0) {
    co_await discard();
    co_return 0;
  }
  end();
  co_return kept;
}

Partial S3Write::partial_of(const std::string& tail) const {
  Partial partial;
  partial.parts = static_cast<int>(parts_.size());
  partial.part_size = shared_->part_size;
  partial.upload_id = upload_id_;
  partial.key = mp_key_;
  partial.digest_state = parts_.empty() ? std::string() : sent_digest_.save();
  partial.tail = tail;
  return partial;
}

awaitable<bool> S3Write::store_sidecar(const std::string& tail) {
  const std::string body = encode_partial(partial_of(tail));
  const Metadata meta{{kHeldMeta, std::to_string(sent() + tail.size())}};
  sidecar_stored_ = true;  // (a failed PUT may still have stored it)
  auto put = co_await shared_->s3->put_object(sidecar_, body.data(), body.size(), meta);
  co_return put.ok();
}

std::uint64_t S3Write::keep_unwritten() {
  if (parts_.empty()) {
    return 0;
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::optional<UnwrittenPartial> replaced;
  if (!shared_->unwritten.keep(UnwrittenPartial{sidecar_, partial_of({}), now}, replaced)) {
    spdlog::warn(
        "S3 partial {}: the store did not take its sidecar and {} others wait; "
        "the upload will start over",
        sidecar_, UnwrittenPartials::kMaxKept);
    return 0;
  }
  if (replaced) {  // an older try's: its parts are an orphan for the sweep
    shared_->release_upload(replaced->partial.upload_id);
  }
  spdlog::warn("S3 partial {}: the store did not take its sidecar; its {} parts wait in memory",
               sidecar_, parts_.size());
  upload_id_.clear();  // held for the entry now (end() lets go of what the upload holds)
  return sent();
}

void S3Write::end() {
  if (done_) {
    return;
  }
  done_ = true;
  if (!sidecar_.empty()) {
    shared_->unclaim(sidecar_);
  }
  if (!upload_id_.empty()) {  // kept: its sidecar names it now
    shared_->release_upload(upload_id_);
  }
  shared_->end_running(key_);
}

}  // namespace

awaitable<Result<std::unique_ptr<WriteHandle>>> make_write(std::shared_ptr<Shared> shared,
                                                           std::string root, std::string path,
                                                           std::optional<std::uint64_t> size) {
  if (!size) {
    co_return std::unique_ptr<WriteHandle>(std::make_unique<S3Write>(shared, root, path, false));
  }
  std::string sidecar = partial_key(root, path, *size);
  // Asked before the handle exists: a refusal leaves nothing to undo.
  auto claimed = co_await shared->claim(sidecar);
  if (!claimed) {
    spdlog::warn("S3 partial {}: {}", sidecar, claimed.error().message);
    co_return make_error(Errc::kIo, "resume unavailable: " + claimed.error().message);
  }
  auto up = std::make_unique<S3Write>(shared, root, path, true);
  if (*claimed) {  // else another upload (of any node) holds it: this one starts afresh
    co_await up->resume(sidecar);
  }
  co_return std::unique_ptr<WriteHandle>(std::move(up));
}

}  // namespace sfs::storage::s3
