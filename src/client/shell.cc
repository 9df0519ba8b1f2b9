#include "client/shell.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "client/commands.h"
#include "client/dispatch.h"
#include "client/exit_codes.h"
#include "client/interrupt.h"
#include "client/line_editor.h"
#include "client/words.h"

namespace sfs::client {
namespace {

constexpr const char* kPrompt = "sfs> ";

// Reads one line of at most kMaxCommandLineBytes; a longer line is read to its
// end and replaced by an error marker so that it fails as one bad command.
bool read_bounded_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  char c = 0;
  bool any = false;
  while (in.get(c)) {
    any = true;
    if (c == '\n') {
      break;
    }
    if (c == '\r' && in.peek() == '\n') {
      continue;  // a batch file written on Windows
    }
    if (line.size() < kMaxCommandLineBytes) {
      line.push_back(c);
    } else {
      too_long = true;
    }
  }
  return any;
}

void report_too_long() {
  std::fprintf(stderr, "sfs: command line too long (at most %zu bytes)\n", kMaxCommandLineBytes);
}

// After the connection was lost (the server's idle timeout, a restart, a
// transfer cut by Ctrl-C): logs in again, keeping the working directories;
// when the server is not back at once, with the retries and backoff of a
// transfer (Connection::restore). False, with the error reported, when that
// fails too.
bool reconnect(CommandContext& state, int& status) {
  auto again = state.conn.restore();
  if (!again) {
    std::fprintf(stderr, "sfs: cannot reconnect: %s\n", again.error().message.c_str());
    status = exit_code_for(again.error().code);
    return false;
  }
  return true;
}

// Runs one line of the shell. False when the shell ends (exit, or a lost
// connection that cannot be opened again; then `status` says why).
// `failed` is set to the status of a command that failed.
bool shell_line(CommandContext& state, const std::string& line, int& status, int& failed) {
  if (state.conn.peer_closed()) {  // the server ended the idle session meanwhile
    const Error why = state.conn.closed_reason();
    if (why.code != Errc::kNetwork) {  // it said why (an account change): not to be retried
      status = report(why);
      return false;
    }
    if (!reconnect(state, status)) {
      return false;
    }
    std::fprintf(stderr, "sfs: the server had closed the idle connection; logged in again\n");
  }
  clear_interrupt();
  const LineOutcome outcome = run_line(state, line);
  const bool interrupted = interrupt_requested();
  clear_interrupt();
  if (outcome.status != kExitOk) {
    failed = outcome.status;
  }
  if (outcome.connection_lost) {
    // Only a lost connection is opened again: after "session ended" (an
    // account change, kAuth) the old password would just count as a failure.
    // A transfer whose retries ran out has waited for the server already.
    int lost = outcome.status;
    if (lost != kExitNetwork || state.conn.gave_up() || !reconnect(state, lost)) {
      status = lost;
      return false;
    }
    if (!interrupted) {
      std::fprintf(stderr, "sfs: logged in to %s again\n", state.conn.server_name().c_str());
    }
  }
  return !state.quit;
}

// The shell without a terminal (commands piped in): no prompts, so stdout
// holds only what the commands print; the status is that of the last
// command that failed (0 when none did), as scripts need.
int run_plain(CommandContext& state, std::istream& in) {
  std::string line;
  bool too_long = false;
  int status = kExitOk;
  int failed = kExitOk;
  while (read_bounded_line(in, line, too_long)) {
    if (too_long) {
      report_too_long();
      failed = kExitUsage;
      continue;
    }
    if (!shell_line(state, line, status, failed)) {
      return status != kExitOk ? status : failed;
    }
  }
  return failed;
}

// The shell on a terminal: line editing; Ctrl-C clears the line or stops
// the running transfer, and the shell goes on.
int run_interactive(CommandContext& state) {
  const InterruptGuard interrupts;
  LineEditor editor(state);
  std::string line;
  int status = kExitOk;
  int failed = kExitOk;
  while (editor.read(kPrompt, line)) {
    if (!shell_line(state, line, status, failed)) {
      return status;
    }
  }
  return kExitOk;
}

}  // namespace

int run_shell(Connection& conn, bool resume) {
  CommandContext state{conn, kShell};
  state.resume = resume;
  const int status =
      ::isatty(STDIN_FILENO) == 1 ? run_interactive(state) : run_plain(state, std::cin);
  if (!conn.peer_closed()) {
    conn.quit();
  }
  return status;
}

int run_batch(Connection& conn, std::istream& in, bool resume, bool json) {
  CommandContext state{conn, kBatch};
  state.resume = resume;
  state.json = json;
  std::string line;
  bool too_long = false;
  while (read_bounded_line(in, line, too_long)) {
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') {
      continue;
    }
    const bool may_fail = line[start] == '-';
    const std::string command = line.substr(may_fail ? start + 1 : start);
    std::fflush(stdout);  // keep the echo after the previous command's output
    std::fprintf(stderr, "sfs> %s\n", line.substr(start).c_str());
    LineOutcome outcome;
    if (too_long) {
      report_too_long();
      outcome.status = kExitUsage;
    } else {
      outcome = run_line(state, command);
    }
    if (outcome.connection_lost || (outcome.status != kExitOk && !may_fail)) {
      return outcome.status;
    }
    if (state.quit) {
      break;
    }
  }
  conn.quit();
  return kExitOk;
}

}  // namespace sfs::client
