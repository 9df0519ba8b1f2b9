#pragma once
// Lines read from a file descriptor, knowing what is already there: the
// menu reads a script ahead only as far as its lines have arrived, and
// shows what it holds before it waits for more (client/menu.h).
//
//   LineInput in(STDIN_FILENO);
//   std::string line;
//   if (!in.ready()) { ...show what is held... }
//   while (in.next(line)) { ... }

#include <string>

namespace sfs::client {

class LineInput {
 public:
  explicit LineInput(int fd) : fd_(fd) {}

  // The next line, without its '\n' (a last line without one counts too).
  // False at the end of input or on a read error.
  bool next(std::string& line);
  // Whether next() would not wait: a whole line is buffered, or the
  // descriptor has data (or its end) to read now.
  bool ready() const;

 private:
  int fd_;
  std::string buffer_;
  bool ended_ = false;
};

}  // namespace sfs::client
