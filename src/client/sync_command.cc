// The handler of `sync SOURCE DEST` (client/sync.h): the operands and flags
// of the command table, joined to the shell's working directory.

#include "client/command_handlers.h"
#include "client/remote_path.h"
#include "client/sync.h"

namespace sfs::client {

Result<void> do_sync(CommandContext& context, const Invocation& inv) {
  SyncOptions options;
  SFS_RETURN_IF_ERROR(sync_operands(inv.args[0], inv.args[1], options));
  if (context.has_working_dir()) {
    SFS_ASSIGN_OR_RETURN(options.remote, resolve_remote(context.cwd, options.remote));
  }
  options.delete_extra = inv.flag("--delete") != nullptr;
  options.dry_run = inv.flag("--dry-run") != nullptr;
  options.force = inv.flag("--force") != nullptr;
  options.keep_times = inv.flag("--no-times") == nullptr;
  options.resume = context.resume;
  options.json = context.json;
  options.excludes = inv.flag_values("--exclude");
  return sync_trees(context.conn, options, context.out);
}

}  // namespace sfs::client
