// sfs: the sfs client. Parses options and runs one command, or the
// interactive menu when no command is given.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "client/client_config.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/menu.h"
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
      "  sfs --user alice ls\n"
      "  sfs --user alice            (interactive menu)"};
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
      add_command(app, "hash", nullptr, "Print the SHA-256 the server holds for REMOTE");
  hash->add_option("REMOTE", args.first, "Remote file")->required();
  CLI::App* verify =
      add_command(app, "verify", nullptr, "Re-read all your files on the server and report damage");
  CLI::App* menu = add_command(app, "menu", nullptr, "Interactive numbered menu (the default)");

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

  auto conn = open_session(options);
  if (!conn) {
    return report(conn.error());
  }
  Connection& c = **conn;
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
