#include "client/line_editor.h"

// clang-format off
#include <cstdio>  // editline/readline.h uses FILE without including it
#include <editline/readline.h>
// clang-format on
#include <fcntl.h>
#include <langinfo.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "client/interrupt.h"
#include "client/remote_dir.h"
#include "client/remote_path.h"
#include "client/words.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// libedit calls the completion hook without a user pointer: the one live
// LineEditor's state, and the matches of the completion in progress.
CommandContext* g_state = nullptr;
std::vector<std::string> g_matches;
std::size_t g_next_match = 0;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> command_names(std::string_view prefix) {
  std::vector<std::string> names;
  for (const Command& c : command_table()) {
    if (c.available_in(g_state->mode) && starts_with(c.name, prefix)) {
      names.emplace_back(c.name);
    }
  }
  return names;
}

// Remote names for `typed` (unquoted): lists the directory part of it.
std::vector<std::string> remote_names(const std::string& typed, bool dirs_only) {
  const std::string dir_typed(dir_part(typed));
  const std::string leaf = typed.substr(dir_typed.size());
  auto dir = resolve_remote(g_state->cwd, dir_typed);
  if (!dir) {
    return {};
  }
  auto entries = list_remote_dir(g_state->conn, *dir);
  if (!entries) {
    return {};  // a lost connection shows at the next command
  }
  std::vector<std::string> names;
  for (const protocol::Entry& e : *entries) {
    if (starts_with(e.name, leaf) && (!dirs_only || e.type == 'd')) {
      names.push_back(dir_typed + e.name + (e.type == 'd' ? "/" : ""));
    }
  }
  return names;
}

std::vector<std::string> local_names(const std::string& typed, bool dirs_only) {
  const std::string dir_typed(dir_part(typed));
  const std::string leaf = typed.substr(dir_typed.size());
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir_typed.empty() ? "." : dir_typed, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    const bool is_dir = it->is_directory(type_ec);
    if (starts_with(name, leaf) && (!dirs_only || is_dir) && (name[0] != '.' || !leaf.empty())) {
      names.push_back(dir_typed + name + (is_dir ? "/" : ""));
    }
  }
  return names;
}

// How many arguments come before the word being completed (flags and
// their values do not count).
std::size_t argument_position(const Command& command, const std::vector<std::string>& words) {
  std::size_t position = 0;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 2 || w[0] != '-') {
      ++position;
      continue;
    }
    for (const Flag& f : command.flags) {
      if ((w == f.name || w == f.short_name) && !f.value_name.empty()) {
        ++i;  // skip the flag's value
      }
    }
  }
  return position;
}

// libedit gives the completed word's start in characters, but its
// rl_line_buffer holds the line as UTF-8 bytes: the byte offset of the
// character numbered `chars`.
std::size_t byte_offset(std::string_view line, int chars) {
  std::size_t at = 0;
  for (int n = 0; n < chars && at < line.size(); ++n) {
    do {
      ++at;
    } while (at < line.size() && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80);
  }
  return at;
}

// Candidates for the word `text` that starts at character `start` in the line.
std::vector<std::string> candidates(const std::string& text, int start) {
  const std::string_view line(rl_line_buffer);
  auto before = split_words(line.substr(0, byte_offset(line, start)));
  auto typed = split_words(text);
  if (!before || !typed || typed->size() > 1) {
    return {};  // inside an open quote, or an odd word: nothing to offer
  }
  const std::string word = typed->empty() ? std::string() : typed->front();
  if (before->empty()) {
    return command_names(word);
  }
  const Command* command = find_command(before->front(), g_state->mode);
  if (command == nullptr) {
    return {};
  }
  const ArgKind kind = command->arg_kind(argument_position(*command, *before));
  switch (kind) {
    case ArgKind::kCommand:
      return command_names(word);
    case ArgKind::kRemote:
    case ArgKind::kRemoteDir:
      return remote_names(word, kind == ArgKind::kRemoteDir);
    case ArgKind::kLocal:
    case ArgKind::kLocalDir:
      return local_names(word, kind == ArgKind::kLocalDir);
    case ArgKind::kNone:
      break;
  }
  return {};
}

char* next_match(const char*, int state) {
  if (state == 0) {
    g_next_match = 0;
  }
  if (g_next_match >= g_matches.size()) {
    return nullptr;
  }
  return ::strdup(quote_word(g_matches[g_next_match++]).c_str());
}

char** complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to local file names
  g_matches = candidates(text, start);
  if (g_matches.empty()) {
    return nullptr;
  }
  // A directory is completed up to its '/', ready for the next name.
  rl_completion_append_character =
      (g_matches.size() == 1 && g_matches.front().back() == '/') ? 0 : int{' '};
  return rl_completion_matches(text, next_match);
}

// libedit reads keys and draws the line in the LC_CTYPE locale; in the "C"
// locale it drops every byte that is not ASCII. Only LC_CTYPE is taken from
// the environment (numbers keep printing the same). sfs names are UTF-8 on
// the wire, so when the environment names no UTF-8 locale (LANG unset or
// C, as in many containers) the shell still edits UTF-8.
// Called once, before libedit starts and while sfs runs one thread.
void use_utf8_characters() {
  const char* chosen = std::setlocale(LC_CTYPE, "");  // NOLINT(concurrency-mt-unsafe)
  if (chosen == nullptr || std::strcmp(::nl_langinfo(CODESET), "UTF-8") != 0) {
    (void)std::setlocale(LC_CTYPE, "C.UTF-8");  // NOLINT(concurrency-mt-unsafe)
  }
}

}  // namespace

LineEditor::LineEditor(CommandContext& state) {
  g_state = &state;
  use_utf8_characters();  // before libedit starts (its first call below)
  rl_catch_signals = 0;   // Ctrl-C is the shell's (client/interrupt.h), not libedit's
  rl_readline_name = "sfs";
  rl_attempted_completion_function = complete;
  using_history();
  stifle_history(kHistoryLines);
  history_ = history_path();
  if (!history_.empty()) {
    read_history(history_.c_str());
  }
}

LineEditor::~LineEditor() {
  save_history();
  rl_attempted_completion_function = nullptr;
  g_state = nullptr;
}

bool LineEditor::read(const char* prompt, std::string& line) {
  clear_interrupt();
  char* raw = ::readline(prompt);
  if (raw == nullptr && interrupt_requested()) {
    clear_interrupt();  // Ctrl-C: the line is dropped, a fresh prompt follows
    std::printf("^C\n");
    line.clear();
    return true;
  }
  if (raw == nullptr) {
    std::printf("\n");  // leave the prompt's line after Ctrl-D
    return false;
  }
  line = raw;
  std::free(raw);
  if (line.find_first_not_of(" \t") != std::string::npos && line != last_ &&
      line.size() <= kMaxCommandLineBytes) {
    add_history(line.c_str());
    last_ = line;
    save_history();
  }
  return true;
}

fs::path LineEditor::history_path() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && state[0] == '/') {
    return fs::path(state) / "sfs" / "history";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return fs::path(home) / ".local" / "state" / "sfs" / "history";
  }
  return {};
}

void LineEditor::save_history() {
  if (history_.empty()) {
    return;
  }
  // The history may hold file names worth keeping private: the directory
  // is made 0700 and the file 0600 before anything is written to it.
  std::error_code ec;
  fs::create_directories(history_.parent_path(), ec);
  ::chmod(history_.parent_path().c_str(), 0700);
  const int fd = ::open(history_.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return;  // no history is no reason to stop the shell
  }
  const bool private_file = ::fchmod(fd, 0600) == 0;
  ::close(fd);
  if (private_file) {
    write_history(history_.c_str());
  }
}

}  // namespace sfs::client
