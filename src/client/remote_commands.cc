// The handlers of the commands on remote files and folders, for every front
// end: the command line, the shell, batch mode and the menu. Remote paths are
// joined to the working directory (the top on the command line) and
// normalized first; the server applies its own checks to what is sent.

#include "client/command_handlers.h"
#include "client/commands.h"
#include "client/operands.h"
#include "client/remote_path.h"
#include "protocol/numbers.h"

namespace sfs::client {
namespace {

// A remote path as typed, joined to the working directory (the top on the
// command line) and normalized: a leading '/' is the top, '.' and empty
// components are dropped, '..' goes up but never above the top.
Result<std::string> remote_path(const CommandContext& context, const std::string& typed) {
  return resolve_remote(context.cwd, typed);
}

// The same for a path that must name something below the top: the top
// itself ("/", or ".." back to it) is not a file.
Result<std::string> remote_entry(const CommandContext& context, const std::string& typed) {
  auto path = remote_path(context, typed);
  if (path && path->empty()) {
    return make_error(Errc::kIsDir, "is a directory: /");
  }
  return path;
}

bool has_flag(const Invocation& inv, std::string_view name) { return inv.flag(name) != nullptr; }

}  // namespace

std::string check_count(std::string_view text) {
  return protocol::parse_u64(text) ? std::string() : "expected a non-negative decimal number";
}

Result<void> do_put(CommandContext& context, const Invocation& inv) {
  return put_operands(context, inv, OperandStyle::kLastIsTarget, transfer_options(context, inv));
}

Result<void> do_get(CommandContext& context, const Invocation& inv) {
  return get_operands(context, inv, OperandStyle::kLastIsTarget, transfer_options(context, inv));
}

Result<void> do_mput(CommandContext& context, const Invocation& inv) {
  return put_operands(context, inv, OperandStyle::kAllSources, transfer_options(context, inv));
}

Result<void> do_mget(CommandContext& context, const Invocation& inv) {
  return get_operands(context, inv, OperandStyle::kAllSources, transfer_options(context, inv));
}

Result<void> do_view(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto remote, remote_entry(context, inv.args[0]));
  // The table gives --bytes a default and checks it (check_count).
  const std::uint64_t bytes = *protocol::parse_u64(*inv.flag("--bytes"));
  return view_file(context.conn, remote, bytes, context.out);
}

Result<void> do_rm(CommandContext& context, const Invocation& inv) {
  return remove_operands(context, inv, has_flag(inv, "--recursive"));
}

Result<void> do_ls(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto dir, remote_path(context, inv.arg_or(0, "")));
  const ListOptions options{
      dir,          has_flag(inv, "--long"), has_flag(inv, "--recursive"),
      context.json, has_flag(inv, "--all"),  has_flag(inv, "--human-readable")};
  return list_files(context.conn, options, context.out);
}

Result<void> do_stat(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto remote, remote_path(context, inv.args[0]));
  return stat_entry(context.conn, remote, context.json, context.out);
}

Result<void> do_mkdir(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto remote, remote_entry(context, inv.args[0]));
  return make_dir(context.conn, remote, has_flag(inv, "--parents"));
}

Result<void> do_rmdir(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto remote, remote_entry(context, inv.args[0]));
  auto removed = remove_dir(context.conn, remote);
  if (!removed && removed.error().code == Errc::kNotEmpty) {
    return make_error(Errc::kNotEmpty,
                      removed.error().message + " (rm -r deletes it with everything in it)");
  }
  return removed;
}

Result<void> do_mv(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto from, remote_entry(context, inv.args[0]));
  SFS_ASSIGN_OR_RETURN(auto to, remote_path(context, inv.args[1]));
  if (names_folder(inv.args[1])) {  // `mv a.txt docs/`: into docs, which must exist
    to = to.empty() ? last_component(from) : to + "/" + last_component(from);
  }
  return move_entry(context.conn, from, to);
}

Result<void> do_hash(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto remote, remote_entry(context, inv.args[0]));
  return hash_file(context.conn, remote, context.out, context.json);
}

Result<void> do_verify(CommandContext& context, const Invocation&) {
  return verify_files(context.conn, context.out, context.json);
}

}  // namespace sfs::client
