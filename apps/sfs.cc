// sfs: the sfs client. Parses options and runs one command, the shell, a
// batch file, or the interactive menu when no command is given.

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/menu.h"
#include "client/shell.h"
#include "protocol/limits.h"
#include "protocol/numbers.h"

namespace {

using namespace sfs::client;

struct Args {
  std::string first;
  std::string second;
  std::string bytes = std::to_string(sfs::protocol::kDefaultPreviewBytes);
};

CLI::App* add_command(CLI::App& app, const char* name, const char* alias, const char* help) {
  CLI::App* sub = app.add_subcommand(name, help);
  if (alias != nullptr) {
    sub->alias(alias);
  }
  return sub;
}

}  // namespace

int main(int argc, char** argv) {
  SessionOptions options;
  unsigned port = options.connect.port;
  std::string ca_file;
  Args args;

  CLI::App app{
      "sfs: secure file storage client\n\n"
      "Examples:\n"
      "  sfs --user alice put report.pdf\n"
      "  sfs --user alice get report.pdf copy.pdf\n"
      "  sfs --user alice view notes.txt --bytes 200\n"
      "  sfs --user alice ls\n"
      "  sfs --user alice shell      (sfs> prompt: cd, put, get, ls, help ...)\n"
      "  sfs --user alice -b cmds    (run the commands in file cmds; -b - reads stdin)\n"
      "  sfs --user alice            (interactive numbered menu)"};
  app.add_option("--host", options.connect.host, "Server address")->capture_default_str();
  app.add_option("--port", port, "Server port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("--user,-u", options.user, "User name (default: $SFS_USER, else $USER)");
  app.add_option("--ca-file", ca_file, "Verify the server's certificate against this PEM file");
  app.add_flag("--trust-new", options.connect.trust_new,
               "Trust an unknown server's certificate without asking (pinned afterwards)");
  app.add_option("--password-file", options.password_file,
                 "Read the password from this file (after $SFS_PASSWORD)");
  bool no_resume = false;
  app.add_flag("--no-resume", no_resume,
               "Start put/get over instead of continuing an interrupted transfer");
  app.add_flag("--compress", options.compress,
               "Compress data on the wire with zstd (if the server offers it); helps on text "
               "and logs over slow links, costs nothing on data that does not shrink");
  std::string batch_file;
  app.add_option("-b,--batch", batch_file,
                 "Run the commands in FILE ('-': stdin), one per line, stopping at the first "
                 "error unless its line starts with '-' (like sftp -b)");
  app.require_subcommand(0, 1);

  CLI::App* put = add_command(app, "put", "upload", "Upload LOCAL as REMOTE");
  put->add_option("LOCAL", args.first, "Local file")->required();
  put->add_option("REMOTE", args.second, "Remote name (default: LOCAL's file name)");
  CLI::App* get = add_command(app, "get", "download", "Download REMOTE to LOCAL");
  get->add_option("REMOTE", args.first, "Remote file")->required();
  get->add_option("LOCAL", args.second, "Local path (default: REMOTE's name here)");
  CLI::App* view = add_command(app, "view", nullptr, "Print the first bytes of REMOTE (raw)");
  view->add_option("REMOTE", args.first, "Remote file")->required();
  // Parsed as text and checked strictly: CLI11 would wrap "-1" to 2^64-1.
  view->add_option("--bytes,-n", args.bytes, "How many bytes (decimal)")
      ->capture_default_str()
      ->check([](const std::string& text) {
        return sfs::protocol::parse_u64(text) ? std::string()
                                              : "expected a non-negative decimal number";
      });
  CLI::App* rm = add_command(app, "rm", "delete", "Delete REMOTE");
  rm->add_option("REMOTE", args.first, "Remote file")->required();
  CLI::App* ls = add_command(app, "ls", "list", "List your files");
  CLI::App* hash =
      add_command(app, "hash", nullptr, "Print the XXH128 digest the server holds for REMOTE");
  hash->add_option("REMOTE", args.first, "Remote file")->required();
  CLI::App* verify =
      add_command(app, "verify", nullptr, "Re-read all your files on the server and report damage");
  CLI::App* menu = add_command(app, "menu", nullptr, "Interactive numbered menu (the default)");
  CLI::App* shell = add_command(app, "shell", nullptr,
                                "Interactive shell: an sfs> prompt with cd, editing, history and "
                                "completion (type help)");

  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "sfs: " + std::string(e.what()) + " (see sfs --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }
  options.connect.port = static_cast<std::uint16_t>(port);
  options.connect.ca_file = ca_file;
  // The batch file is opened before connecting, so a wrong name costs no login.
  std::ifstream batch;
  if (!batch_file.empty()) {
    if (!app.get_subcommands().empty()) {
      std::fprintf(stderr, "sfs: -b runs a batch file: give no command with it (see sfs --help)\n");
      return kExitUsage;
    }
    if (batch_file != "-") {
      batch.open(batch_file);
      if (!batch) {
        std::fprintf(stderr, "sfs: cannot read batch file %s: %s\n", batch_file.c_str(),
                     std::strerror(errno));
        return kExitLocal;
      }
    }
  }

  auto conn = open_session(options);
  if (!conn) {
    return report(conn.error());
  }
  Connection& c = **conn;
  if (!batch_file.empty()) {
    return run_batch(c, batch_file == "-" ? std::cin : batch, !no_resume);
  }
  if (shell->parsed()) {
    return run_shell(c, !no_resume);
  }
  sfs::Result<void> result;
  if (put->parsed()) {
    result = put_file(c, args.first, args.second, !no_resume);
  } else if (get->parsed()) {
    result = get_file(c, args.first, args.second, !no_resume);
  } else if (view->parsed()) {
    result = view_file(c, args.first, *sfs::protocol::parse_u64(args.bytes), stdout);
  } else if (rm->parsed()) {
    result = remove_file(c, args.first);
  } else if (ls->parsed()) {
    result = list_files(c, stdout);
  } else if (hash->parsed()) {
    result = hash_file(c, args.first, stdout);
  } else if (verify->parsed()) {
    result = verify_files(c, stdout);
  } else {
    (void)menu;
    return run_menu(c, std::cin);
  }
  if (!result) {
    return report(result.error());
  }
  c.quit();
  return kExitOk;
}
