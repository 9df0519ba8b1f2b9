// sfs: the sfs client. Parses options and runs one command, the shell, a
// batch file, or the interactive menu when no command is given.

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "client/client_config.h"
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
  bool recursive = false;  // put -r, get -r
  bool parents = false;    // mkdir -p
  bool long_format = false;
  bool list_recursive = false;  // ls -R
};

// A subcommand; `examples` (one per line) end its --help.
CLI::App* add_command(CLI::App& app, const char* name, const char* alias, const char* help,
                      const char* examples) {
  CLI::App* sub = app.add_subcommand(name, help);
  if (alias != nullptr) {
    sub->alias(alias);
  }
  sub->footer(std::string("\nExamples:\n") + examples);
  return sub;
}

// Fills what the command line left unset from the chosen (or default)
// profile of the settings file.
sfs::Result<void> use_profile(const CLI::App& app, const std::string& name,
                              SessionOptions& options) {
  auto profile = load_profile(default_config_path(), name);
  if (!profile) {
    return profile.error();
  }
  if (*profile) {
    auto given = [&app](std::string_view flag) { return app.count(std::string(flag)) > 0; };
    apply_profile(**profile, given, options);
  }
  return {};
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
      "  sfs --user alice ls -l -R\n"
      "  sfs --user alice put -r photos backup/photos\n"
      "  sfs --user alice mkdir -p docs/2026 && sfs --user alice mv a.txt docs/2026\n"
      "  sfs --user alice --json stat docs/2026/a.txt\n"
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
  std::string profile;
  app.add_option("--profile", profile,
                 "Use this [profile.NAME] of ~/.config/sfs/config.toml (flags override it)");
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
  bool json = false;
  app.add_flag("--json", json, "Print ls, stat, hash and the put/get summary as JSON on stdout");
  app.require_subcommand(0, 1);

  CLI::App* put = add_command(app, "put", "upload", "Upload LOCAL as REMOTE",
                              "  sfs put report.pdf                  (as report.pdf)\n"
                              "  sfs put report.pdf docs/2026/r.pdf  (parent folders are created)\n"
                              "  sfs put -r photos backup/photos     (a whole tree)");
  put->add_option("LOCAL", args.first, "Local file (a directory with -r)")->required();
  put->add_option("REMOTE", args.second,
                  "Remote name (default: LOCAL's file name; missing parent folders are created)");
  put->add_flag("--recursive,-r", args.recursive,
                "Upload the whole directory LOCAL into the remote folder REMOTE");
  CLI::App* get = add_command(app, "get", "download", "Download REMOTE to LOCAL",
                              "  sfs get report.pdf                  (into ./report.pdf)\n"
                              "  sfs get docs/2026/r.pdf /tmp/\n"
                              "  sfs get -r backup/photos restored");
  get->add_option("REMOTE", args.first, "Remote file (a folder with -r)")->required();
  get->add_option("LOCAL", args.second, "Local path (default: REMOTE's name here)");
  get->add_flag("--recursive,-r", args.recursive,
                "Download the whole remote folder REMOTE into the local directory LOCAL");
  CLI::App* view = add_command(app, "view", nullptr, "Print the first bytes of REMOTE (raw)",
                               "  sfs view notes.txt\n"
                               "  sfs view image.png --bytes 64      (a hex dump on a terminal)");
  view->add_option("REMOTE", args.first, "Remote file")->required();
  // Parsed as text and checked strictly: CLI11 would wrap "-1" to 2^64-1.
  view->add_option("--bytes,-n", args.bytes, "How many bytes (decimal)")
      ->capture_default_str()
      ->check([](const std::string& text) {
        return sfs::protocol::parse_u64(text) ? std::string()
                                              : "expected a non-negative decimal number";
      });
  CLI::App* rm = add_command(app, "rm", "delete", "Delete REMOTE", "  sfs rm old/report.pdf");
  rm->add_option("REMOTE", args.first, "Remote file")->required();
  CLI::App* ls = add_command(app, "ls", "list", "List your files (or the folder PATH)",
                             "  sfs ls\n"
                             "  sfs ls -l docs\n"
                             "  sfs --json ls -R");
  ls->add_option("PATH", args.first, "Remote folder (default: the top)");
  ls->add_flag("-l", args.long_format, "Also show the type and the stored digest");
  ls->add_flag("-R", args.list_recursive, "List the whole tree, as full remote paths");
  CLI::App* stat =
      add_command(app, "stat", nullptr, "Show the type, size, modification time and digest of PATH",
                  "  sfs stat docs/2026/r.pdf\n"
                  "  sfs --json stat docs");
  stat->add_option("PATH", args.first, "Remote file or folder")->required();
  CLI::App* mkdir = add_command(app, "mkdir", nullptr, "Create the remote folder PATH",
                                "  sfs mkdir docs\n"
                                "  sfs mkdir -p docs/2026/q1");
  mkdir->add_option("PATH", args.first, "Remote folder")->required();
  mkdir->add_flag("--parents,-p", args.parents,
                  "Create missing parents; an existing folder is fine");
  CLI::App* rmdir = add_command(app, "rmdir", nullptr, "Remove the empty remote folder PATH",
                                "  sfs rmdir docs/2026/q1");
  rmdir->add_option("PATH", args.first, "Remote folder")->required();
  CLI::App* mv = add_command(app, "mv", "move", "Rename or move SRC to DST (into DST if a folder)",
                             "  sfs mv draft.txt final.txt\n"
                             "  sfs mv final.txt docs          (into the folder docs)");
  mv->add_option("SRC", args.first, "Remote file or folder")->required();
  mv->add_option("DST", args.second, "New name, or a folder to move into")->required();
  CLI::App* hash =
      add_command(app, "hash", nullptr, "Print the XXH128 digest the server holds for REMOTE",
                  "  sfs hash report.pdf               (compare: xxh128sum report.pdf)");
  hash->add_option("REMOTE", args.first, "Remote file")->required();
  CLI::App* verify =
      add_command(app, "verify", nullptr, "Re-read all your files on the server and report damage",
                  "  sfs verify");
  CLI::App* menu =
      add_command(app, "menu", nullptr, "Interactive numbered menu (the default)", "  sfs menu");
  CLI::App* shell = add_command(app, "shell", nullptr,
                                "Interactive shell: an sfs> prompt with cd, editing, history and "
                                "completion (type help)",
                                "  sfs shell\n"
                                "  sfs> cd docs\n"
                                "  sfs> put \"my file.txt\"");

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
  if (auto ok = use_profile(app, profile, options); !ok) {
    std::fprintf(stderr, "sfs: %s\n", ok.error().message.c_str());
    return kExitUsage;
  }
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
  const TransferOptions transfer{args.first, args.second, args.recursive, !no_resume, json};
  if (put->parsed()) {
    result = put_command(c, transfer, stdout);
  } else if (get->parsed()) {
    result = get_command(c, transfer, stdout);
  } else if (view->parsed()) {
    result = view_file(c, args.first, *sfs::protocol::parse_u64(args.bytes), stdout);
  } else if (rm->parsed()) {
    result = remove_file(c, args.first);
  } else if (ls->parsed()) {
    result = list_files(c, {args.first, args.long_format, args.list_recursive, json}, stdout);
  } else if (stat->parsed()) {
    result = stat_entry(c, args.first, json, stdout);
  } else if (mkdir->parsed()) {
    result = make_dir(c, args.first, args.parents);
  } else if (rmdir->parsed()) {
    result = remove_dir(c, args.first);
  } else if (mv->parsed()) {
    result = move_entry(c, args.first, args.second);
  } else if (hash->parsed()) {
    result = hash_file(c, args.first, stdout, json);
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
