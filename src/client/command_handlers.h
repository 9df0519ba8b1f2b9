#pragma once
// The handlers that the command table (client/command_table.cc) names, one
// per command. Each takes its arguments and flags already checked against
// the table, and returns its error instead of printing it.

#include "client/command_table.h"

namespace sfs::client {

// Remote files and folders (remote_commands.cc).
Result<void> do_put(CommandContext& context, const Invocation& invocation);
Result<void> do_get(CommandContext& context, const Invocation& invocation);
// mput and mget: every operand is a source (client/operands.h).
Result<void> do_mput(CommandContext& context, const Invocation& invocation);
Result<void> do_mget(CommandContext& context, const Invocation& invocation);
Result<void> do_view(CommandContext& context, const Invocation& invocation);
Result<void> do_rm(CommandContext& context, const Invocation& invocation);
Result<void> do_ls(CommandContext& context, const Invocation& invocation);
Result<void> do_stat(CommandContext& context, const Invocation& invocation);
Result<void> do_mkdir(CommandContext& context, const Invocation& invocation);
Result<void> do_rmdir(CommandContext& context, const Invocation& invocation);
Result<void> do_mv(CommandContext& context, const Invocation& invocation);
Result<void> do_hash(CommandContext& context, const Invocation& invocation);
Result<void> do_verify(CommandContext& context, const Invocation& invocation);
// `df`: usage and quota (usage_command.cc).
Result<void> do_df(CommandContext& context, const Invocation& invocation);
// `sync SOURCE DEST` (sync_command.cc).
Result<void> do_sync(CommandContext& context, const Invocation& invocation);

// The shell's working directories and the shell itself (session_commands.cc).
Result<void> do_cd(CommandContext& context, const Invocation& invocation);
Result<void> do_pwd(CommandContext& context, const Invocation& invocation);
Result<void> do_lcd(CommandContext& context, const Invocation& invocation);
Result<void> do_lls(CommandContext& context, const Invocation& invocation);
Result<void> do_lpwd(CommandContext& context, const Invocation& invocation);
Result<void> do_exit(CommandContext& context, const Invocation& invocation);
// `help [COMMAND]` (command_help.cc).
Result<void> do_help(CommandContext& context, const Invocation& invocation);

// Commands that need no server on the command line (local_commands.cc):
// `sfs help [COMMAND]`, `sfs trust list|forget SERVER`.
int help_command(const Invocation& invocation);
int trust_command(const Invocation& invocation);

// A flag value check: empty when `text` is a non-negative decimal number.
std::string check_count(std::string_view text);

}  // namespace sfs::client
