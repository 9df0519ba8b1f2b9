// The handlers of the shell's own commands: the remote working directory
// (cd, pwd), the local one (lcd, lls, lpwd) and exit.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "base/errno_error.h"
#include "client/command_handlers.h"
#include "client/remote_dir.h"
#include "client/remote_path.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

Result<void> print_lines(std::FILE* out, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    std::fprintf(out, "%s\n", line.c_str());
  }
  std::fflush(out);
  return {};
}

}  // namespace

Result<void> do_cd(CommandContext& context, const Invocation& inv) {
  SFS_ASSIGN_OR_RETURN(auto dir, resolve_remote(context.cwd, inv.arg_or(0, "/")));
  SFS_RETURN_IF_ERROR(check_remote_dir(context.conn, dir));
  context.cwd = std::move(dir);
  return {};
}

Result<void> do_pwd(CommandContext& context, const Invocation&) {
  return print_lines(context.out, {display_remote(context.cwd)});
}

Result<void> do_lcd(CommandContext&, const Invocation& inv) {
  const char* home = std::getenv("HOME");
  const std::string dir = inv.arg_or(0, home != nullptr ? home : "/");
  if (::chdir(dir.c_str()) != 0) {
    const int err = errno;
    return err == ENOENT ? make_error(Errc::kLocal, "no such local directory: " + dir)
                         : errno_error(Errc::kLocal, dir, err);
  }
  return {};
}

Result<void> do_lpwd(CommandContext& context, const Invocation&) {
  std::error_code ec;
  const fs::path here = fs::current_path(ec);
  if (ec) {
    return make_error(Errc::kLocal, "current directory: " + ec.message());
  }
  return print_lines(context.out, {here.string()});
}

Result<void> do_lls(CommandContext& context, const Invocation& inv) {
  const std::string dir = inv.arg_or(0, ".");
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    names.push_back(it->path().filename().string() + (it->is_directory(type_ec) ? "/" : ""));
  }
  if (ec) {
    return make_error(Errc::kLocal, (ec == std::errc::no_such_file_or_directory
                                         ? "no such local directory: " + dir
                                         : dir + ": " + ec.message()));
  }
  std::sort(names.begin(), names.end());
  return print_lines(context.out, names);
}

Result<void> do_exit(CommandContext& context, const Invocation&) {
  context.quit = true;
  return {};
}

}  // namespace sfs::client
