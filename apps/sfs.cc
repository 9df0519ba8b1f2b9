// sfs: the sfs client. Parses options and runs one command, the shell, a
// batch file, or the interactive menu when no command is given. The commands
// and their arguments come from the command table (client/command_table.h);
// this file holds the global options and wires things together.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "base/errno_error.h"
#include "client/cli_commands.h"
#include "client/client_config.h"
#include "client/commands.h"
#include "client/completion_script.h"
#include "client/exit_codes.h"
#include "client/local_digests.h"
#include "client/profile_choice.h"
#include "client/shell.h"
#include "client/suggest.h"

namespace {

using namespace sfs::client;

// Fills what the command line left unset from the chosen (or default)
// profile of the settings file (client/profile_choice.h says when the
// default one applies).
sfs::Result<ProfileUse> use_profile(const CLI::App& app, const std::string& name, bool none,
                                    SessionOptions& options) {
  auto given = [&app](std::string_view flag) { return app.count(std::string(flag)) > 0; };
  const ProfileRequest request{name, none, given, options.connect.host, options.connect.port};
  SFS_ASSIGN_OR_RETURN(auto use, choose_profile(default_config_path(), request));
  use.apply(given, options);
  return use;
}

constexpr const char* kDescription =
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
    "  sfs --user alice            (interactive numbered menu)";

// What the global options set.
struct Settings {
  SessionOptions session;
  unsigned port = session.connect.port;
  std::string ca_file;
  std::string profile;
  bool no_profile = false;
  std::string batch_file;
  std::string completion;
  bool no_resume = false;
  bool json = false;
};

std::string check_shell(const std::string& shell) {
  const auto& shells = completion_shells();
  return std::find(shells.begin(), shells.end(), shell) != shells.end() ? std::string()
                                                                        : "expected bash or zsh";
}

// The options before the command. Their type names tell the completion
// scripts what to offer (client/completion_script.h).
void add_global_options(CLI::App& app, Settings& s) {
  app.add_option("--host", s.session.connect.host, "Server address")
      ->capture_default_str()
      ->type_name(kHostType);
  app.add_option("--port", s.port, "Server port")
      ->capture_default_str()
      ->type_name("PORT")
      ->check(CLI::Range(1, 65535));
  app.add_option("--user,-u", s.session.user, "User name (default: $SFS_USER, else $USER)")
      ->type_name("NAME");
  app.add_option("--ca-file", s.ca_file, "Verify the server's certificate against this PEM file")
      ->type_name(kFileType);
  app.add_flag("--trust-new", s.session.connect.trust_new,
               "Trust an unknown server's certificate without asking (pinned afterwards)");
  app.add_option("--password-file", s.session.password_file,
                 "Read the password from this file (after $SFS_PASSWORD)")
      ->type_name(kFileType);
  app.add_option("--profile", s.profile,
                 "Use this [profile.NAME] of ~/.config/sfs/config.toml (flags override it)")
      ->type_name(kProfileType);
  app.add_flag("--no-profile", s.no_profile,
               "Use no profile of the settings file, not even its default-profile");
  app.add_flag("--no-resume", s.no_resume,
               "Start put/get over instead of continuing an interrupted transfer");
  app.add_option("--retries", s.session.connect.retries,
                 "After a lost connection, reconnect and resume a transfer up to N times, "
                 "waiting 0.5 s doubling up to 8 s between attempts (0: fail at once)")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(0U, kMaxRetries));
  app.add_flag("--compress", s.session.compress,
               "Compress data on the wire with zstd (if the server offers it); helps on text "
               "and logs over slow links, costs nothing on data that does not shrink");
  app.add_option("-b,--batch", s.batch_file,
                 "Run the commands in FILE ('-': stdin), one per line, stopping at the first "
                 "error unless its line starts with '-' (like sftp -b)")
      ->type_name(kFileType);
  app.add_flag("--json", s.json,
               "Print ls, stat, hash, verify and the put/get summary as JSON on stdout "
               "(also in batch mode)");
  app.add_option("--completion", s.completion,
                 "Print the completion script for SHELL (bash or zsh) and exit")
      ->type_name(kShellType)
      ->check(check_shell);
}

// Opens the batch file before connecting, so that a wrong name costs no
// login. Returns the exit status when it cannot be run.
std::optional<int> open_batch(const Settings& s, const CliCommands& commands,
                              std::ifstream& batch) {
  if (commands.any_chosen()) {
    std::fprintf(stderr, "sfs: -b runs a batch file: give no command with it (see sfs --help)\n");
    return kExitUsage;
  }
  if (s.batch_file != "-") {
    batch.open(s.batch_file);
    if (!batch) {
      std::fprintf(stderr, "sfs: cannot read batch file %s: %s\n", s.batch_file.c_str(),
                   sfs::errno_text(errno).c_str());
      return kExitLocal;
    }
  }
  return std::nullopt;
}

// Everything after a successful parse.
int run(const CLI::App& app, Settings& s, const CliCommands& commands) {
  if (!s.completion.empty()) {
    std::fputs(completion_script(app, s.completion).c_str(), stdout);
    return kExitOk;
  }
  if (commands.chosen().local != nullptr) {
    return commands.chosen().local(commands.invocation());
  }
  s.session.connect.port = static_cast<std::uint16_t>(s.port);
  s.session.connect.ca_file = s.ca_file;
  auto profile = use_profile(app, s.profile, s.no_profile, s.session);
  if (!profile) {
    std::fprintf(stderr, "sfs: %s\n", profile.error().message.c_str());
    return kExitUsage;
  }
  std::ifstream batch;
  if (!s.batch_file.empty()) {
    if (const std::optional<int> status = open_batch(s, commands, batch)) {
      return *status;
    }
  }
  auto conn = open_session(s.session);
  if (!conn) {
    const int status = report(conn.error());
    if (const std::string note = profile->note(); !note.empty()) {
      std::fprintf(stderr, "sfs: note: %s\n", note.c_str());
    }
    return status;
  }
  const int status =
      !s.batch_file.empty()
          ? run_batch(**conn, s.batch_file == "-" ? std::cin : batch, !s.no_resume, s.json)
          : run_chosen(commands.chosen(), commands.invocation(), **conn, {!s.no_resume, s.json});
  LocalDigests::shared().save();  // what this run hashed, for the next one
  return status;
}

// A word where the command belongs that names none: "unknown command
// 'rename'; did you mean 'mv'?" instead of CLI11's list of extra words.
std::optional<int> unknown_command(const CLI::App& app, const CliCommands& commands,
                                   const CLI::ParseError& e) {
  if (commands.any_chosen() || dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) {
    return std::nullopt;
  }
  const std::vector<std::string> extras = app.remaining();
  auto word = std::find_if(extras.begin(), extras.end(),
                           [](const std::string& w) { return !w.empty() && w[0] != '-'; });
  if (word == extras.end()) {
    return std::nullopt;
  }
  const std::string message = unknown_command_message(*word, kCommandLine, "sfs help");
  std::fprintf(stderr, "sfs: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{kDescription};
  add_global_options(app, settings);
  app.set_version_flag("--version", "sfs " SFS_VERSION, "Print the version and exit");
  app.require_subcommand(0, 1);
  // Global options after the command too (`sfs ls --json`), as rclone, gh
  // and docker take theirs: the subcommands inherit this.
  app.fallthrough();
  const CliCommands commands(app);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "sfs: " + std::string(e.what()) + " (see sfs --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const std::optional<int> status = unknown_command(app, commands, e)) {
      return *status;
    }
    const int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }
  return run(app, settings, commands);
}
