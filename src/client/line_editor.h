#pragma once
// Line editing for the interactive shell, through libedit's
// readline-compatible API: history kept across sessions and tab completion
// of command names, remote names (from a listing of the directory being
// typed) and local names. Only one LineEditor may exist at a time, since
// the library's completion hook is a plain global function.

#include <filesystem>
#include <string>

#include "client/command_table.h"

namespace sfs::client {

// How many lines the history keeps (in memory and in its file).
inline constexpr int kHistoryLines = 1000;

class LineEditor {
 public:
  // Loads the history file and installs the completion hook.
  explicit LineEditor(CommandContext& state);
  // Saves the history file.
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // Shows `prompt` and reads one edited line into `line`; false at end of
  // input (Ctrl-D). Non-blank lines enter the history. Ctrl-C (with an
  // InterruptGuard, client/interrupt.h) drops the line: `line` is empty.
  bool read(const char* prompt, std::string& line);

  // $XDG_STATE_HOME/sfs/history, else $HOME/.local/state/sfs/history; empty
  // when neither variable is set.
  static std::filesystem::path history_path();

 private:
  void save_history();

  std::filesystem::path history_;
  std::string last_;  // the previous history entry, to skip repeats
};

}  // namespace sfs::client
