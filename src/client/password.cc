#include "client/password.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/errno_error.h"
#include "term/terminal.h"

namespace sfs::client {
namespace {

void strip_newline(std::string& line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
}

// The first line of `path`, or why there is none.
Result<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return errno_error(Errc::kLocal, "cannot read password file " + path, errno);
  }
  std::string line;
  if (!std::getline(in, line)) {
    std::error_code ec;
    const bool dir = std::filesystem::is_directory(path, ec);
    return make_error(Errc::kLocal, dir ? "cannot read password file " + path + ": is a directory"
                                        : "password file " + path + " is empty");
  }
  strip_newline(line);
  if (line.empty()) {
    return make_error(Errc::kLocal, "password file " + path + " starts with an empty line");
  }
  return line;
}

}  // namespace

bool password_is_typed(const std::string& password_file) {
  return std::getenv("SFS_PASSWORD") == nullptr && password_file.empty();
}

Result<std::string> obtain_password(const std::string& password_file, const std::string& prompt) {
  if (const char* env = std::getenv("SFS_PASSWORD"); env != nullptr) {
    return std::string(env);
  }
  if (!password_file.empty()) {
    return read_password_file(password_file);
  }
  auto typed = term::read_from_terminal(prompt, false);
  if (!typed) {
    return make_error(Errc::kLocal,
                      "no password: set SFS_PASSWORD, use --password-file, or run on a terminal");
  }
  return typed;
}

}  // namespace sfs::client
