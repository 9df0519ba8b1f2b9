// The command table's own rules, and what is made from it: usage lines,
// parsing of shell words, help texts, the menu, and the CLI11 subcommands.

#include "client/command_table.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "client/cli_commands.h"
#include "client/command_help.h"
#include "client/dispatch.h"
#include "client/menu.h"
#include "client/suggest.h"

namespace sfs::client {
namespace {

constexpr Mode kModes[] = {kCommandLine, kShell, kBatch, kMenu};

TEST(CommandTable, NoWordNamesTwoCommandsInOneMode) {
  for (const Mode mode : kModes) {
    std::set<std::string_view> words;
    for (const Command& c : command_table()) {
      if (!c.available_in(mode)) {
        continue;
      }
      EXPECT_TRUE(words.insert(c.name).second) << c.name;
      for (const std::string_view alias : c.aliases) {
        EXPECT_TRUE(words.insert(alias).second) << alias;
      }
    }
  }
}

TEST(CommandTable, EveryEntryIsComplete) {
  for (const Command& c : command_table()) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_NE(c.modes, 0u);
    // It runs somewhere: on a connection (handler), as a session of its own,
    // or without a server (local; help also has a handler for the shell).
    EXPECT_TRUE(c.handler != nullptr || c.session != nullptr || c.local != nullptr);
    EXPECT_FALSE(c.session != nullptr && (c.handler != nullptr || c.local != nullptr));
    if (c.handler == nullptr && c.session == nullptr) {
      EXPECT_EQ(c.modes, Modes{kCommandLine});  // only the command line runs `local`
    }
    if (c.session != nullptr) {
      EXPECT_EQ(c.modes, Modes{kCommandLine});  // a session does not nest
    }
    EXPECT_FALSE(c.help.empty());
    EXPECT_EQ(c.help.find('\n'), std::string_view::npos);
    EXPECT_EQ(c.available_in(kCommandLine), !c.examples.empty());  // shown by --help
    EXPECT_EQ(c.available_in(kMenu), !c.menu.label.empty());
  }
}

TEST(CommandTable, ArgumentsAndFlagsAreWellFormed) {
  for (const Command& c : command_table()) {
    SCOPED_TRACE(std::string(c.name));
    bool optional_seen = false;
    for (const Arg& a : c.args) {
      EXPECT_FALSE(a.required && optional_seen) << a.name;  // optional ones last
      optional_seen = optional_seen || !a.required;
      EXPECT_FALSE(a.help.empty()) << a.name;
      if (c.available_in(kMenu) && a.required) {
        EXPECT_FALSE(a.menu_prompt.empty()) << a.name;  // the menu must ask for it
      }
    }
    for (const Flag& f : c.flags) {
      EXPECT_TRUE(f.name.starts_with("--")) << f.name;
      EXPECT_TRUE(f.short_name.empty() || (f.short_name.size() == 2 && f.short_name[0] == '-'));
      EXPECT_TRUE(f.default_value.empty() || !f.value_name.empty()) << f.name;
      if (f.check != nullptr && !f.default_value.empty()) {
        EXPECT_EQ(f.check(f.default_value), "") << f.name;
      }
    }
  }
}

TEST(CommandTable, FindsByNameOrAliasInItsModesOnly) {
  ASSERT_NE(find_command("upload", kShell), nullptr);
  EXPECT_EQ(find_command("upload", kShell)->name, "put");
  EXPECT_EQ(find_command("?", kBatch)->name, "help");
  EXPECT_EQ(find_command("cd", kCommandLine), nullptr);
  EXPECT_EQ(find_command("shell", kShell), nullptr);
  EXPECT_EQ(find_command("stat", kMenu), nullptr);
  EXPECT_EQ(find_command("frobnicate", kShell), nullptr);
}

TEST(CommandTable, UsageLines) {
  auto usage = [](std::string_view name) { return find_command(name, kShell)->usage(); };
  EXPECT_EQ(usage("put"), "put [-r] [--force] [-p] [--no-times] LOCAL... [REMOTE]");
  EXPECT_EQ(usage("rm"), "rm [-r] REMOTE...");
  EXPECT_EQ(usage("sync"),
            "sync [--delete] [-n] [--force] [--no-times] SOURCE DEST [--exclude PATTERN]");
  EXPECT_EQ(usage("view"), "view REMOTE [--bytes N]");
  EXPECT_EQ(usage("ls"), "ls [-l] [-R] [-a] [-h] [DIR]");
  EXPECT_EQ(usage("mv"), "mv SRC DST");
  EXPECT_EQ(usage("help"), "help [COMMAND]");
  EXPECT_EQ(usage("exit"), "exit");
}

Result<Invocation> parse(std::string_view name, std::vector<std::string> words) {
  return parse_invocation(*find_command(name, kShell), words);
}

TEST(ParseInvocation, TakesFlagsOutAndFillsDefaults) {
  auto inv = parse("get", {"-r", "a", "b"});
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->args, (std::vector<std::string>{"a", "b"}));
  ASSERT_NE(inv->flag("--recursive"), nullptr);
  inv = parse("view", {"x"});
  ASSERT_TRUE(inv);
  ASSERT_NE(inv->flag("--bytes"), nullptr);
  EXPECT_EQ(*inv->flag("--bytes"), "1024");
  inv = parse("view", {"--bytes=7", "x"});
  ASSERT_TRUE(inv);
  EXPECT_EQ(*inv->flag("--bytes"), "7");
  inv = parse("rm", {"--", "-odd-name"});
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->args, (std::vector<std::string>{"-odd-name"}));
}

TEST(ParseInvocation, RefusesWithTheUsage) {
  auto message = [](std::string_view name, std::vector<std::string> words) {
    auto inv = parse(name, std::move(words));
    EXPECT_FALSE(inv);
    return inv ? std::string() : inv.error().message;
  };
  EXPECT_EQ(message("rm", {}), "rm: missing argument (usage: rm [-r] REMOTE...)");
  EXPECT_EQ(message("pwd", {"x"}), "pwd: too many arguments (usage: pwd)");
  EXPECT_EQ(message("ls", {"-x"}), "ls: unknown option '-x' (usage: ls [-l] [-R] [-a] [-h] [DIR])");
  EXPECT_EQ(message("view", {"a", "-n"}),
            "view: -n needs a value (usage: view REMOTE [--bytes N])");
  EXPECT_EQ(message("view", {"a", "-n", "x"}), "view: -n: expected a non-negative decimal number");
}

TEST(CommandHelp, OneCommand) {
  const std::vector<std::string> rm = command_help_lines(*find_command("delete", kShell));
  ASSERT_GE(rm.size(), 2u);
  EXPECT_EQ(rm[0], "usage: rm [-r] REMOTE...");
  EXPECT_EQ(rm[1], "Delete REMOTE (alias: delete)");
  EXPECT_EQ(rm.back(), "  --recursive, -r  Delete folders and everything in them");
  const std::vector<std::string> view = command_help_lines(*find_command("view", kShell));
  EXPECT_EQ(view.back(), "  --bytes, -n N  How many bytes (decimal) (default 1024)");
}

TEST(CommandHelp, ListsTheCommandsOfItsMode) {
  std::string shell;
  for (const std::string& line : help_lines(kShell)) {
    shell += line + "\n";
  }
  EXPECT_NE(shell.find("\n  cd [DIR] "), std::string::npos);
  EXPECT_NE(shell.find("\n  hash REMOTE "), std::string::npos);
  EXPECT_EQ(shell.find("\n  shell"), std::string::npos);
  EXPECT_EQ(shell.find("\n  menu"), std::string::npos);
}

TEST(CommandHelp, CommandLineFooterHasDetailsAndExamples) {
  EXPECT_EQ(command_line_footer(*find_command("stat", kCommandLine)),
            "\nExamples:\n  sfs stat docs/2026/r.pdf\n  sfs --json stat docs");
  const std::string put = command_line_footer(*find_command("put", kCommandLine));
  EXPECT_TRUE(put.starts_with("\nREMOTE defaults to LOCAL's file name")) << put;
  EXPECT_NE(put.find("\n\nExamples:\n  sfs put report.pdf "), std::string::npos) << put;
}

TEST(Menu, EntriesFollowTheTable) {
  EXPECT_EQ(menu_text(menu_commands()),
            "\n  1) Upload\n  2) Download\n  3) View\n  4) Delete\n  5) List\n  6) New folder\n"
            "  7) Remove folder\n  8) Move or rename\n  9) Exit\n");
}

// The CLI11 subcommands made from the table, parsed as `sfs ARGS`.
struct Parsed {
  std::string command;
  Invocation invocation;
};

Parsed parse_command_line(std::vector<std::string> args) {
  CLI::App app{"sfs"};
  app.require_subcommand(0, 1);
  const CliCommands commands(app);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app.parse(args);
  return {std::string(commands.chosen().name), commands.invocation()};
}

TEST(CliCommands, ParseIntoTheShellsForm) {
  Parsed p = parse_command_line({"upload", "-r", "a", "b"});
  EXPECT_EQ(p.command, "put");
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(p.invocation.flag("--recursive"), nullptr);
  p = parse_command_line({"view", "x"});
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"x"}));
  ASSERT_NE(p.invocation.flag("--bytes"), nullptr);
  EXPECT_EQ(*p.invocation.flag("--bytes"), "1024");
  p = parse_command_line({"ls", "--long", "-R"});
  EXPECT_TRUE(p.invocation.args.empty());
  EXPECT_NE(p.invocation.flag("--long"), nullptr);
  EXPECT_NE(p.invocation.flag("--recursive"), nullptr);
  EXPECT_EQ(parse_command_line({}).command, "menu");
}

TEST(CliCommands, SeveralOperandsAndRemoteGlobs) {
  Parsed p = parse_command_line({"put", "a.txt", "b.txt", "docs/"});
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"a.txt", "b.txt", "docs/"}));
  p = parse_command_line({"rm", "-r", "old", "*.tmp"});
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"old", "*.tmp"}));
  EXPECT_EQ(p.invocation.globs, (std::vector<std::string>{"", "*.tmp"}));
  EXPECT_NE(p.invocation.flag("--recursive"), nullptr);
  EXPECT_EQ(parse_command_line({"mget", "*.txt"}).command, "mget");
}

TEST(ParseInvocation, KeepsEachArgumentsGlob) {
  auto inv =
      parse_invocation(*find_command("get", kShell), {"-r", "*.txt", "out"}, {"", "*.txt", ""});
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->args, (std::vector<std::string>{"*.txt", "out"}));
  EXPECT_EQ(inv->glob(0), "*.txt");
  EXPECT_EQ(inv->glob(1), "");
  EXPECT_EQ(inv->glob(2), "");
}

TEST(CliCommands, RefuseWhatTheTableRefuses) {
  EXPECT_THROW(parse_command_line({"view", "x", "--bytes", "many"}), CLI::ValidationError);
  EXPECT_THROW(parse_command_line({"mv", "a"}), CLI::RequiredError);
  EXPECT_THROW(parse_command_line({"hash", "a", "b"}), CLI::ExtrasError);
  EXPECT_THROW(parse_command_line({"rm"}), CLI::RequiredError);
  EXPECT_THROW(parse_command_line({"cd", "a"}), CLI::ExtrasError);  // shell only
}

TEST(Suggest, TyposAndOtherToolsWordsGetTheirCommand) {
  EXPECT_EQ(suggest_command("rename", kCommandLine), "mv");  // a hint of the table
  EXPECT_EQ(suggest_command("gte", kCommandLine), "get");    // two letters swapped
  EXPECT_EQ(suggest_command("uplod", kCommandLine), "put");  // by its alias upload
  EXPECT_EQ(suggest_command("lcd", kCommandLine), "");       // lcd is the shell's
  EXPECT_EQ(suggest_command("lcd", kShell), "lcd");
  EXPECT_EQ(suggest_command("x", kCommandLine), "");  // too short to guess
  EXPECT_EQ(suggest_command("frobnicate", kCommandLine), "");
  EXPECT_EQ(unknown_command_message("rename", kCommandLine, "sfs help"),
            "unknown command 'rename'; did you mean 'mv'?");
  EXPECT_EQ(unknown_command_message("zzz", kShell, "help"), "unknown command 'zzz' (try help)");
}

TEST(Suggest, HintsAreNoCommandsWords) {
  for (const Command& c : command_table()) {
    for (const std::string_view hint : c.hints) {
      for (const Mode mode : kModes) {
        EXPECT_EQ(find_command(hint, mode), nullptr) << hint;
      }
    }
  }
}

TEST(ShellFlags, ShortFlagsBundleAsOnTheCommandLine) {
  auto inv = parse_invocation(*find_command("ls", kShell), {"-la", "docs"});
  ASSERT_TRUE(inv.ok());
  EXPECT_NE(inv->flag("--long"), nullptr);
  EXPECT_NE(inv->flag("--all"), nullptr);
  EXPECT_FALSE(parse_invocation(*find_command("ls", kShell), {"-lz"}).ok());
}

}  // namespace
}  // namespace sfs::client
