#include "client/line_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace sfs::client {

bool LineInput::next(std::string& line) {
  while (true) {
    if (const std::size_t end = buffer_.find('\n'); end != std::string::npos) {
      line.assign(buffer_, 0, end);
      buffer_.erase(0, end + 1);
      return true;
    }
    if (ended_) {
      if (buffer_.empty()) {
        return false;
      }
      line = std::move(buffer_);
      buffer_.clear();
      return true;
    }
    char chunk[4096];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ended_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

bool LineInput::ready() const {
  if (ended_ || buffer_.find('\n') != std::string::npos) {
    return true;
  }
  pollfd fd{fd_, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

}  // namespace sfs::client
