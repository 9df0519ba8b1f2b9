// The sfs door's verbs about the connection itself: QUIT, COMPRESS,
// NOTICES, and LOGIN once logged in.

#include <string>

#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/sfsp/session.h"
#include "wire/channel.h"

namespace sfs::server::sfsp {

awaitable<Result<void>> Session::quit(const Request&) {
  quit_ = true;
  co_return co_await reply_ok();
}

// COMPRESS zstd: from now on both sides may send compressed data frames.
awaitable<Result<void>> Session::compress(const Request& request) {
  const auto& compress = std::get<protocol::Compress>(request);
  if (!config().offer_compression) {
    co_return make_error(Errc::kBadRequest, "compression is not offered by this server");
  }
  if (compress.algorithm != "zstd") {
    co_return make_error(Errc::kBadRequest, "unknown compression " + compress.algorithm);
  }
  channel_->set_compression(true);
  const std::string line = protocol::ok_line({"zstd"});
  co_return co_await reply(line);
}

// NOTICES delay: this client understands DELAY lines before a LOGIN reply.
awaitable<Result<void>> Session::notices(const Request& request) {
  const auto& notices = std::get<protocol::Notices>(request);
  if (notices.kind != "delay") {
    co_return make_error(Errc::kBadRequest, "unknown notice " + notices.kind);
  }
  delay_notices_ = true;
  const std::string line = protocol::ok_line({"delay"});
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::login_again(const Request&) {
  co_return make_error(Errc::kBadRequest, "already logged in");
}

}  // namespace sfs::server::sfsp
