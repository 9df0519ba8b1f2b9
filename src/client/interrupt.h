#pragma once
// Ctrl-C in the interactive shell, as in sftp: at the prompt it clears the
// line, during a transfer it stops that transfer (which can resume), and
// the shell, its working directories and its login stay.
//
//   InterruptGuard guard;          // SIGINT now sets a flag instead of ending sfs
//   ...
//   if (interrupt_requested()) {}  // polled by the transfer loops (connection.cc)
//   clear_interrupt();             // before the next command
//
// Outside a guard SIGINT keeps its default action (sfs ends, status 130),
// so one-shot commands and batch files behave as any command-line tool.

namespace sfs::client {

// Installs the shell's SIGINT handler (no SA_RESTART, so a blocked read at
// the prompt returns EINTR) for its lifetime, and restores the old one.
// A second Ctrl-C while a command ignores the first ends sfs as usual
// (status 130), so a hung command never traps the user.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// Whether Ctrl-C was pressed since the last clear_interrupt().
bool interrupt_requested();
void clear_interrupt();

}  // namespace sfs::client
