#pragma once
// A menu read from a script (standard input not a terminal, as in
// `sfs menu < choices.txt`) sends its consecutive uploads of small files,
// or its consecutive downloads to new local files, pipelined on the one
// connection (docs/protocol.md, "Pipelining"): a run of such entries is
// read ahead, sent, and then shown entry by entry exactly as the menu would
// have shown them one at a time (the prompts, then "Done." or the error).
// What could differ from one at a time never joins a run: another command,
// a big file, a local file to compare with first, a name an earlier entry
// of the run also writes.
//
//   MenuRun run(context);
//   if (!run.add(command, inv, shown)) { run.flush(); ...run the entry alone... }
//   run.flush();   // before anything else is shown, and at the end

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/command_table.h"
#include "client/connection.h"

namespace sfs::client {

// Prints how a menu entry ended, as the menu does after each: "Done." or the
// error (after the newline of an entry that ends its own line). The exit
// status when the error is the connection's loss (the menu ends).
std::optional<int> show_menu_result(const Command& command, const Result<void>& result);

class MenuRun {
 public:
  explicit MenuRun(CommandContext& context) : context_(context) {}

  // Adds the entry (`shown`: what the menu printed while reading it) when
  // it may join the run: true. False: flush(), then run it alone.
  bool add(const Command& command, const Invocation& inv, std::string shown);

  // Runs the entries added, then shows each one's prompts and result. The
  // exit status when the connection was lost (the menu ends), else nullopt.
  std::optional<int> flush();

 private:
  enum class Kind { kNone, kPut, kGet };
  struct Entry {
    const Command* command;
    Invocation inv;
    std::string shown;
  };
  // Shows each entry in order, its prompts then its result (`result_of`);
  // stops at the connection's loss, with its exit status.
  std::optional<int> show_each(const std::function<Result<void>(std::size_t)>& result_of);
  bool conflicts_remote(const std::string& path) const;
  std::optional<int> flush_puts();
  std::optional<int> flush_gets();

  // At most this many entries read ahead: their shown text and jobs.
  static constexpr std::size_t kMaxEntries = 1024;

  CommandContext& context_;
  Kind kind_ = Kind::kNone;
  std::vector<Entry> entries_;
  std::vector<Connection::PutJob> puts_;
  std::vector<Connection::GetJob> gets_;
  std::set<std::string> written_;  // remote paths (puts) or local ones (gets) of the run
  std::set<std::string> above_;    // the folders of the remote paths in written_
};

}  // namespace sfs::client
