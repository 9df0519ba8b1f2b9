// The sfs door's file and folder verbs: LIST, STAT, MKDIR, RMDIR, MOVE,
// DELETE, HASH, VERIFY, USAGE, and the storage-to-wire conversions they use.

#include <string>

#include "files/user_files.h"
#include "protocol/percent.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "server/sfsp/session.h"
#include "wire/channel.h"

namespace sfs::server::sfsp {
namespace {

protocol::FileStatus::Kind to_wire(storage::FileCheck::Status status) {
  using Kind = protocol::FileStatus::Kind;
  switch (status) {
    case storage::FileCheck::Status::kOk:
      return Kind::kOk;
    case storage::FileCheck::Status::kCorrupt:
      return Kind::kCorrupt;
    case storage::FileCheck::Status::kUnhashed:
      return Kind::kUnhashed;
    case storage::FileCheck::Status::kUnreadable:
      return Kind::kUnreadable;
  }
  return Kind::kUnreadable;
}

protocol::Entry to_wire(const storage::DirEntry& e) {
  return {e.is_dir ? 'd' : 'f', e.size,
          static_cast<std::uint64_t>(std::max<std::int64_t>(e.mtime, 0)), e.digest, e.name};
}

}  // namespace

awaitable<Result<void>> Session::list(const Request& request) {
  const auto& list = std::get<protocol::List>(request);
  SFS_CO_ASSIGN_OR_RETURN(const auto entries, co_await files_->list(list.path));
  std::string lines = protocol::ok_line({std::to_string(entries.size())});
  for (const storage::DirEntry& e : entries) {
    lines += protocol::serialize_entry(to_wire(e));
    if (lines.size() >= (64U << 10)) {  // bounded memory for huge listings
      SFS_CO_RETURN_IF_ERROR(co_await reply(std::move(lines)));
      lines.clear();
    }
  }
  co_return co_await reply(std::move(lines));
}

awaitable<Result<void>> Session::stat(const Request& request) {
  const auto& stat = std::get<protocol::Stat>(request);
  SFS_CO_ASSIGN_OR_RETURN(const storage::DirEntry entry, co_await files_->stat(stat.path));
  const std::string line = protocol::stat_line(to_wire(entry));
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::make_dir(const Request& request) {
  const auto& mkdir = std::get<protocol::MakeDir>(request);
  SFS_CO_RETURN_IF_ERROR(co_await files_->make_dir(mkdir.path, mkdir.parents));
  co_return co_await reply_ok();
}

awaitable<Result<void>> Session::remove_dir(const Request& request) {
  const auto& rmdir = std::get<protocol::RemoveDir>(request);
  SFS_CO_RETURN_IF_ERROR(co_await files_->remove_dir(rmdir.path));
  co_return co_await reply_ok();
}

awaitable<Result<void>> Session::move(const Request& request) {
  const auto& move = std::get<protocol::Move>(request);
  SFS_CO_ASSIGN_OR_RETURN(const std::string moved, co_await files_->move(move.path, move.target));
  const std::string line = protocol::ok_line({protocol::percent_encode(moved)});
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::remove(const Request& request) {
  const auto& del = std::get<protocol::Delete>(request);
  SFS_CO_RETURN_IF_ERROR(co_await files_->remove(del.path));
  co_return co_await reply_ok();
}

awaitable<Result<void>> Session::hash(const Request& request) {
  const auto& hash = std::get<protocol::Hash>(request);
  SFS_CO_ASSIGN_OR_RETURN(const std::string digest, co_await files_->hash(hash.path));
  const std::string line = protocol::ok_line({digest});
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::usage(const Request&) {
  SFS_CO_ASSIGN_OR_RETURN(const storage::Usage used, co_await files_->usage());
  const std::string line =
      protocol::ok_line({std::to_string(used.bytes), std::to_string(used.entries),
                         std::to_string(config().quota_bytes), std::to_string(config().quota_files),
                         std::to_string(config().max_file_bytes)});
  co_return co_await reply(line);
}

awaitable<Result<void>> Session::verify(const Request&) {
  SFS_CO_ASSIGN_OR_RETURN(const auto checks, co_await files_->verify());
  std::string lines = protocol::ok_line({std::to_string(checks.size())});
  for (const storage::FileCheck& check : checks) {
    lines += protocol::serialize_file_status({to_wire(check.status), check.name});
  }
  co_return co_await reply(std::move(lines));
}

}  // namespace sfs::server::sfsp
