#include "term/terminal.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace sfs::term {

Result<std::string> read_from_terminal(const std::string& prompt, bool echo) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::kLocal, "no terminal to ask on");
  }
  // Echo goes off before the prompt appears (as getpass does): a password
  // typed right after the prompt is then neither shown nor flushed away.
  termios saved{};
  const bool have_termios = ::tcgetattr(fd, &saved) == 0;
  if (have_termios && !echo) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSANOW, &quiet);
  }
  if (::write(fd, prompt.data(), prompt.size()) < 0) {
    // Nothing to do: the read below still works, the prompt is just not shown.
  }
  std::string line;
  char c = 0;
  bool ended = false;  // a newline, or enough bytes
  while (line.size() < 4096) {
    if (::read(fd, &c, 1) != 1) {
      break;
    }
    if (c == '\n') {
      ended = true;
      break;
    }
    line.push_back(c);
  }
  ended = ended || line.size() >= 4096;
  if (have_termios && !echo) {
    ::tcsetattr(fd, TCSANOW, &saved);
    if (::write(fd, "\n", 1) < 0) {
      // Cosmetic newline after the hidden input; nothing to do on failure.
    }
  }
  ::close(fd);
  if (!ended && line.empty()) {  // Ctrl-D: no answer at all
    return make_error(Errc::kLocal, "no answer on the terminal (end of input)");
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

}  // namespace sfs::term
