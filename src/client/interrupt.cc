#include "client/interrupt.h"

#include <csignal>

namespace sfs::client {
namespace {

volatile std::sig_atomic_t g_interrupts = 0;
struct sigaction g_previous {};

// Only async-signal-safe calls here: counting, and for a second press the
// default action again.
extern "C" void on_interrupt(int) {
  g_interrupts = g_interrupts + 1;
  if (g_interrupts >= 2) {
    (void)std::signal(SIGINT, SIG_DFL);
    (void)std::raise(SIGINT);
  }
}

}  // namespace

InterruptGuard::InterruptGuard() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the prompt's read must return
  g_interrupts = 0;
  sigaction(SIGINT, &action, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

bool interrupt_requested() { return g_interrupts != 0; }

void clear_interrupt() { g_interrupts = 0; }

}  // namespace sfs::client
