#pragma once
// The operands of put, get, mput, mget and rm: several sources, globs
// expanded (local ones in the shell and batch mode, where no shell did it
// before sfs; remote ones everywhere, on the server's listing; as in sh, a
// pattern that matches nothing stands for itself), and where each source
// goes. Each source then moves with put_command / get_command
// (client/commands.h); a failure is reported and the others go on, unless
// the connection is lost.
//
//   put a.txt b.txt docs/     a.txt and b.txt into the remote folder docs
//   put *.txt                 (shell) every match into the working folder
//   mput a.txt b.txt          both, under their names (every operand a source)
//   get '*.txt' texts/        every remote match into the local texts/
//   rm -r old '*.tmp'         the folder old, and every match

#include "client/command_table.h"
#include "client/commands.h"

namespace sfs::client {

// How the operands split into sources and a target.
enum class OperandStyle {
  // put, get: as scp, the last of several operands is the target (unless it
  // is a glob), so `put a b` uploads a as b. put refuses a target that is
  // also a local file: a glob of the user's shell that matched it (*.txt to
  // a.txt b.txt) must not upload one file under the other's name.
  kLastIsTarget,
  // mput, mget: every operand is a source, but a last operand ending in '/'
  // (of several) is the folder they go into.
  kAllSources,
};

// Uploads the local operands of `inv`; `base` holds the flags
// (recursive, resume, json). Fails with the error of a single source, or
// with the first failure's class and a count when several failed.
Result<void> put_operands(CommandContext& context, const Invocation& inv, OperandStyle style,
                          const TransferOptions& base);

// Downloads the remote operands of `inv`, as put_operands.
Result<void> get_operands(CommandContext& context, const Invocation& inv, OperandStyle style,
                          const TransferOptions& base);

// put's, get's, mput's and mget's flags: -r, --force and --no-times (-p,
// keeping times, is the default).
TransferOptions transfer_options(const CommandContext& context, const Invocation& inv);

// Uploads small files (at most Connection::kSmallFileBytes) pipelined,
// making their missing remote parent folders first; `done` gets each job's
// result (true: the server held the same content), not necessarily in
// order. Fails only when the connection is lost.
Result<void> put_small_files(Connection& conn, const std::vector<Connection::PutJob>& jobs,
                             const TransferOptions& base, const Connection::PutDone& done);

// The one upload that put (kLastIsTarget) would make of `inv`, when it may
// go pipelined with others: one small regular file, no -r, --force or
// --json, on a connection that takes offers uncompressed. nullopt when not,
// or when `inv` is wrong: the usual run then does it, and reports.
std::optional<Connection::PutJob> pipelined_put(CommandContext& context, const Invocation& inv);

// The one download that get would make of `inv`, as pipelined_put: a remote
// file named plainly (no glob) to a local name that does not exist yet (one
// that does is compared first, the usual way).
std::optional<Connection::GetJob> pipelined_get(CommandContext& context, const Invocation& inv);

// Deletes every remote operand of `inv` (folders with their contents when
// `recursive`; then prints how many files and folders went, or with
// `context.json` a JSON object).
Result<void> remove_operands(CommandContext& context, const Invocation& inv, bool recursive);

}  // namespace sfs::client
