#include "client/command_table.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/remote_dir.h"
#include "client/remote_path.h"
#include "client/words.h"
#include "protocol/limits.h"
#include "protocol/numbers.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// ---- helpers shared by the handlers

std::string check_count(std::string_view text) {
  return protocol::parse_u64(text) ? std::string() : "expected a non-negative decimal number";
}

// A remote path as typed, joined to the working directory. The top itself
// is not a file.
Result<std::string> remote_file(const ShellState& state, const std::string& typed) {
  auto path = resolve_remote(state.cwd, typed);
  if (path && path->empty()) {
    return make_error(Errc::kIsDir, "is a directory: /");
  }
  return path;
}

Result<void> print_lines(std::FILE* out, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    std::fprintf(out, "%s\n", line.c_str());
  }
  std::fflush(out);
  return {};
}

// ---- remote commands

Result<void> do_put(ShellState& state, const Invocation& inv) {
  const std::string& local = inv.args[0];
  const std::string typed = inv.arg_or(1, fs::path(local).lexically_normal().filename().string());
  if (typed.empty()) {
    return make_error(Errc::kBadRequest, "cannot tell the remote name from '" + local + "'");
  }
  auto remote = remote_file(state, typed);
  if (!remote) {
    return remote.error();
  }
  const TransferOptions transfer{local, *remote, inv.flag("--recursive") != nullptr, state.resume,
                                 false};
  return put_command(state.conn, transfer, state.out);
}

Result<void> do_get(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  const TransferOptions transfer{*remote, inv.arg_or(1, ""), inv.flag("--recursive") != nullptr,
                                 state.resume, false};
  return get_command(state.conn, transfer, state.out);
}

Result<void> do_view(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  std::uint64_t bytes = protocol::kDefaultPreviewBytes;
  if (const std::string* given = inv.flag("--bytes")) {
    bytes = *protocol::parse_u64(*given);  // checked by the flag's validator
  }
  return view_file(state.conn, *remote, bytes, state.out);
}

Result<void> do_rm(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  return remove_file(state.conn, *remote);
}

Result<void> do_ls(ShellState& state, const Invocation& inv) {
  auto dir = resolve_remote(state.cwd, inv.arg_or(0, "."));
  if (!dir) {
    return dir.error();
  }
  const ListOptions options{*dir, inv.flag("--long") != nullptr, inv.flag("--recursive") != nullptr,
                            false};
  return list_files(state.conn, options, state.out);
}

Result<void> do_stat(ShellState& state, const Invocation& inv) {
  auto remote = resolve_remote(state.cwd, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  return stat_entry(state.conn, *remote, false, state.out);
}

Result<void> do_mkdir(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  return make_dir(state.conn, *remote, inv.flag("--parents") != nullptr);
}

Result<void> do_rmdir(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  return remove_dir(state.conn, *remote);
}

Result<void> do_mv(ShellState& state, const Invocation& inv) {
  auto from = remote_file(state, inv.args[0]);
  if (!from) {
    return from.error();
  }
  auto to = resolve_remote(state.cwd, inv.args[1]);
  if (!to) {
    return to.error();
  }
  return move_entry(state.conn, *from, *to);
}

Result<void> do_hash(ShellState& state, const Invocation& inv) {
  auto remote = remote_file(state, inv.args[0]);
  if (!remote) {
    return remote.error();
  }
  return hash_file(state.conn, *remote, state.out);
}

Result<void> do_verify(ShellState& state, const Invocation&) {
  return verify_files(state.conn, state.out);
}

// ---- the remote working directory

Result<void> do_cd(ShellState& state, const Invocation& inv) {
  auto dir = resolve_remote(state.cwd, inv.arg_or(0, "/"));
  if (!dir) {
    return dir.error();
  }
  if (auto ok = check_remote_dir(state.conn, *dir); !ok) {
    return ok;
  }
  state.cwd = std::move(*dir);
  return {};
}

Result<void> do_pwd(ShellState& state, const Invocation&) {
  return print_lines(state.out, {display_remote(state.cwd)});
}

// ---- the local side

Result<void> do_lcd(ShellState&, const Invocation& inv) {
  const char* home = std::getenv("HOME");
  const std::string dir = inv.arg_or(0, home != nullptr ? home : "/");
  if (::chdir(dir.c_str()) != 0) {
    const int err = errno;
    return make_error(Errc::kLocal, err == ENOENT ? "no such local directory: " + dir
                                                  : dir + ": " + std::strerror(err));
  }
  return {};
}

Result<void> do_lpwd(ShellState& state, const Invocation&) {
  std::error_code ec;
  const fs::path here = fs::current_path(ec);
  if (ec) {
    return make_error(Errc::kLocal, "current directory: " + ec.message());
  }
  return print_lines(state.out, {here.string()});
}

Result<void> do_lls(ShellState& state, const Invocation& inv) {
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
  return print_lines(state.out, names);
}

// ---- the shell itself

std::string aliases_text(const Command& c) {
  std::string text;
  for (const std::string_view alias : c.aliases) {
    text += (text.empty() ? " (alias: " : ", ") + std::string(alias);
  }
  return text.empty() ? text : text + ")";
}

Result<void> do_help(ShellState& state, const Invocation& inv) {
  std::vector<std::string> lines;
  if (inv.args.empty()) {
    lines.push_back("Commands (quote names with spaces: \"my file\" or my\\ file):");
    for (const Command& c : command_table()) {
      char line[256];
      std::snprintf(line, sizeof(line), "  %-26.*s %.*s%s", static_cast<int>(c.usage.size()),
                    c.usage.data(), static_cast<int>(c.help.size()), c.help.data(),
                    aliases_text(c).c_str());
      lines.emplace_back(line);
    }
    lines.push_back("A line starting with '-' in a batch file may fail without stopping it.");
    return print_lines(state.out, lines);
  }
  const Command* c = find_command(inv.args[0]);
  if (c == nullptr) {
    return make_error(Errc::kBadRequest, "no such command: " + inv.args[0]);
  }
  lines.push_back("usage: " + std::string(c->usage));
  lines.push_back(std::string(c->help) + aliases_text(*c));
  for (const Flag& f : c->flags) {
    std::string spelled = std::string(f.name);
    if (!f.short_name.empty()) {
      spelled += ", " + std::string(f.short_name);
    }
    if (!f.value_name.empty()) {
      spelled += " " + std::string(f.value_name);
    }
    lines.push_back("  " + spelled + "  " + std::string(f.help));
  }
  return print_lines(state.out, lines);
}

Result<void> do_exit(ShellState& state, const Invocation&) {
  state.quit = true;
  return {};
}

using K = ArgKind;

const Flag kRecursiveTree{"--recursive", "-r", "", "a whole directory tree"};

// Add commands here; the shell, batch mode, help and completion follow.
// Fields: name, aliases, usage, help, min and max arguments, argument kinds, flags, handler.
// clang-format off
const std::vector<Command> kCommands = {
    {"put", {"upload"}, "put [-r] LOCAL [REMOTE]", "Upload LOCAL as REMOTE", 1, 2,
     {K::kLocal, K::kRemote}, {kRecursiveTree}, do_put},
    {"get", {"download"}, "get [-r] REMOTE [LOCAL]", "Download REMOTE to LOCAL", 1, 2,
     {K::kRemote, K::kLocal}, {kRecursiveTree}, do_get},
    {"view", {}, "view REMOTE [--bytes N]",
     "Show the first bytes of REMOTE (a hex dump if binary, on a terminal)", 1, 1, {K::kRemote},
     {{"--bytes", "-n", "N", "how many bytes (default 1024)", check_count}}, do_view},
    {"rm", {"delete"}, "rm REMOTE", "Delete REMOTE", 1, 1, {K::kRemote}, {}, do_rm},
    {"ls", {"list"}, "ls [-l] [-R] [DIR]", "List a remote directory", 0, 1, {K::kRemoteDir},
     {{"--long", "-l", "", "type and stored digest too"},
      {"--recursive", "-R", "", "the whole tree, as full paths"}}, do_ls},
    {"stat", {}, "stat PATH", "Show type, size, modification time and digest of PATH", 1, 1,
     {K::kRemote}, {}, do_stat},
    {"mkdir", {}, "mkdir [-p] DIR", "Create a remote directory", 1, 1, {K::kRemoteDir},
     {{"--parents", "-p", "", "create missing parents; an existing one is fine"}}, do_mkdir},
    {"rmdir", {}, "rmdir DIR", "Remove an empty remote directory", 1, 1, {K::kRemoteDir}, {},
     do_rmdir},
    {"mv", {"move"}, "mv SRC DST", "Move or rename SRC (into DST when it is a directory)", 2, 2,
     {K::kRemote, K::kRemote}, {}, do_mv},
    {"hash", {}, "hash REMOTE", "Print the XXH3-128 digest the server holds for REMOTE", 1, 1,
     {K::kRemote}, {}, do_hash},
    {"verify", {}, "verify", "Re-read all your files on the server and report damage", 0, 0,
     {}, {}, do_verify},
    {"cd", {}, "cd [DIR]", "Change the remote directory (alone: to the top)", 0, 1,
     {K::kRemoteDir}, {}, do_cd},
    {"pwd", {}, "pwd", "Print the remote directory", 0, 0, {}, {}, do_pwd},
    {"lcd", {}, "lcd [DIR]", "Change the local directory (alone: to $HOME)", 0, 1,
     {K::kLocalDir}, {}, do_lcd},
    {"lls", {}, "lls [DIR]", "List a local directory", 0, 1, {K::kLocalDir}, {}, do_lls},
    {"lpwd", {}, "lpwd", "Print the local directory", 0, 0, {}, {}, do_lpwd},
    {"help", {"?"}, "help [COMMAND]", "Show the commands, or one in detail", 0, 1,
     {K::kCommand}, {}, do_help},
    {"exit", {"quit", "bye"}, "exit", "Leave (so does end of input, Ctrl-D)", 0, 0, {}, {},
     do_exit},
};
// clang-format on

}  // namespace

const std::string* Invocation::flag(std::string_view name) const {
  for (const auto& [flag_name, value] : flags) {
    if (flag_name == name) {
      return &value;
    }
  }
  return nullptr;
}

std::string Invocation::arg_or(std::size_t i, std::string fallback) const {
  return i < args.size() ? args[i] : fallback;
}

ArgKind Command::arg_kind(std::size_t position) const {
  if (arg_kinds.empty()) {
    return ArgKind::kNone;
  }
  return arg_kinds[std::min(position, arg_kinds.size() - 1)];
}

const std::vector<Command>& command_table() { return kCommands; }

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name || std::find(c.aliases.begin(), c.aliases.end(), name) != c.aliases.end()) {
      return &c;
    }
  }
  return nullptr;
}

namespace {

// Takes the flag spelled by words[i] (and its value, advancing i) into `inv`.
Result<void> take_flag(const Command& command, const std::vector<std::string>& words,
                       std::size_t& i, Invocation& inv) {
  const std::string& word = words[i];
  const std::string usage = " (usage: " + std::string(command.usage) + ")";
  const std::size_t equals = word.find('=');
  const std::string spelled = word.substr(0, equals);
  auto flag = std::find_if(command.flags.begin(), command.flags.end(), [&](const Flag& f) {
    return f.name == spelled || (!f.short_name.empty() && f.short_name == spelled);
  });
  if (flag == command.flags.end()) {
    return make_error(Errc::kBadRequest,
                      std::string(command.name) + ": unknown option '" + spelled + "'" + usage);
  }
  std::string value;
  if (equals != std::string::npos) {
    value = word.substr(equals + 1);
  } else if (!flag->value_name.empty()) {
    if (++i == words.size()) {
      return make_error(Errc::kBadRequest,
                        std::string(command.name) + ": " + spelled + " needs a value" + usage);
    }
    value = words[i];
  }
  if (flag->check != nullptr) {
    if (const std::string problem = flag->check(value); !problem.empty()) {
      return make_error(Errc::kBadRequest,
                        std::string(command.name) + ": " + spelled + ": " + problem);
    }
  }
  inv.flags.emplace_back(flag->name, std::move(value));
  return {};
}

}  // namespace

Result<Invocation> parse_invocation(const Command& command, const std::vector<std::string>& words) {
  Invocation inv;
  bool flags_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (flags_done || word.size() < 2 || word[0] != '-') {
      inv.args.push_back(word);
    } else if (word == "--") {
      flags_done = true;
    } else if (auto ok = take_flag(command, words, i, inv); !ok) {
      return ok.error();
    }
  }
  if (inv.args.size() < command.min_args || inv.args.size() > command.max_args) {
    const bool missing = inv.args.size() < command.min_args;
    return make_error(Errc::kBadRequest,
                      std::string(command.name) +
                          (missing ? ": missing argument" : ": too many arguments") +
                          " (usage: " + std::string(command.usage) + ")");
  }
  return inv;
}

LineOutcome run_line(ShellState& state, std::string_view line) {
  const std::size_t start = line.find_first_not_of(" \t\r");
  if (start == std::string_view::npos || line[start] == '#') {
    return {};
  }
  auto words = split_words(line);
  if (!words) {
    std::fprintf(stderr, "sfs: %s\n", words.error().message.c_str());
    return {kExitUsage, false};
  }
  const Command* command = find_command(words->front());
  if (command == nullptr) {
    std::fprintf(stderr, "sfs: unknown command '%s' (try help)\n", words->front().c_str());
    return {kExitUsage, false};
  }
  auto inv = parse_invocation(*command, {words->begin() + 1, words->end()});
  if (!inv) {
    std::fprintf(stderr, "sfs: %s\n", inv.error().message.c_str());
    return {kExitUsage, false};
  }
  auto result = command->handler(state, *inv);
  std::fflush(state.out);
  if (result) {
    return {};
  }
  const Errc code = result.error().code;
  // After login, ERR AUTH means the server ended the session (the account
  // was deleted or its password changed) and closed the connection.
  return {report(result.error()),
          code == Errc::kNetwork || code == Errc::kProtocol || code == Errc::kAuth};
}

}  // namespace sfs::client
