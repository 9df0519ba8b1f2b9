#include "client/shell.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "client/dispatch.h"
#include "client/exit_codes.h"
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

// The shell without a terminal (commands piped in): no prompts, so stdout
// holds only what the commands print; the status is that of the last
// command that failed (0 when none did), as scripts need.
int run_plain(CommandContext& state, std::istream& in) {
  std::string line;
  bool too_long = false;
  int failed = kExitOk;
  while (read_bounded_line(in, line, too_long)) {
    if (too_long) {
      report_too_long();
      failed = kExitUsage;
      continue;
    }
    const LineOutcome outcome = run_line(state, line);
    if (outcome.connection_lost) {
      return outcome.status;
    }
    if (outcome.status != kExitOk) {
      failed = outcome.status;
    }
    if (state.quit) {
      break;
    }
  }
  return failed;
}

}  // namespace

int run_shell(Connection& conn, bool resume) {
  CommandContext state{conn, kShell};
  state.resume = resume;
  int status = kExitOk;
  if (::isatty(STDIN_FILENO) != 1) {
    status = run_plain(state, std::cin);
    if (status == kExitNetwork) {
      return status;
    }
  } else {
    LineEditor editor(state);
    std::string line;
    while (editor.read(kPrompt, line)) {
      const LineOutcome outcome = run_line(state, line);
      if (outcome.connection_lost) {
        return outcome.status;
      }
      if (state.quit) {
        break;
      }
    }
  }
  conn.quit();
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
