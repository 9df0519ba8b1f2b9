#include "client/password.h"

#include <cstdlib>
#include <fstream>

#include "term/terminal.h"

namespace sfs::client {
namespace {

void strip_newline(std::string& line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
}

}  // namespace

Result<std::string> obtain_password(const std::string& password_file, const std::string& prompt) {
  if (const char* env = std::getenv("SFS_PASSWORD"); env != nullptr) {
    return std::string(env);
  }
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return make_error(Errc::kLocal, "cannot read password file " + password_file);
    }
    strip_newline(line);
    return line;
  }
  auto typed = term::read_from_terminal(prompt, false);
  if (!typed) {
    return make_error(Errc::kLocal,
                      "no password: set SFS_PASSWORD, use --password-file, or run on a terminal");
  }
  return typed;
}

}  // namespace sfs::client
