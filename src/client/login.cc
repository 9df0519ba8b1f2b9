#include "client/login.h"

#include <cstdio>

#include "client/password.h"

namespace sfs::client {
namespace {

// A refusal that another password could turn around ("login refused: ...",
// the server's penalty for example, could not).
bool wrong_password(const Error& error) {
  return error.code == Errc::kAuth && error.message.starts_with("login failed");
}

}  // namespace

Result<void> log_in(Connection& conn, const std::string& user, const std::string& password_file) {
  const std::string prompt = user + "@" + conn.server_name() + "'s password: ";
  const bool typed = password_is_typed(password_file);
  for (int attempt = 1;; ++attempt) {
    SFS_ASSIGN_OR_RETURN(auto password, obtain_password(password_file, prompt));
    auto done = conn.login(user, password);
    if (done || !typed || attempt == kLoginTries || !wrong_password(done.error())) {
      return done;
    }
    std::fprintf(stderr, "sfs: wrong user name or password, please try again\n");
  }
}

}  // namespace sfs::client
