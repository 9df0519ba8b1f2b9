#include "client/suggest.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace sfs::client {
namespace {

// Edits (insert, delete, substitute, swap of neighbours) from `a` to `b`,
// ignoring case: the optimal string alignment distance.
std::size_t distance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// How many edits still count as a typo: none for one or two letters ("x"
// is not "ls"), one up to four, two beyond.
std::size_t typo_budget(std::string_view word) {
  return word.size() <= 2 ? 0 : word.size() <= 4 ? 1 : 2;
}

}  // namespace

std::string suggest_command(std::string_view word, Mode mode) {
  std::string best;
  std::size_t best_distance = typo_budget(word) + 1;
  for (const Command& command : command_table()) {
    if (!command.available_in(mode)) {
      continue;
    }
    // A word another tool uses for this command wins outright.
    if (std::find(command.hints.begin(), command.hints.end(), word) != command.hints.end()) {
      return std::string(command.name);
    }
    std::vector<std::string_view> names{command.name};
    names.insert(names.end(), command.aliases.begin(), command.aliases.end());
    for (const std::string_view name : names) {
      if (const std::size_t edits = distance(word, name); edits < best_distance) {
        best_distance = edits;
        best = std::string(command.name);
      }
    }
  }
  return best;
}

std::string unknown_command_message(std::string_view word, Mode mode,
                                    std::string_view how_to_list) {
  const std::string quoted = "unknown command '" + std::string(word) + "'";
  if (const std::string name = suggest_command(word, mode); !name.empty()) {
    return quoted + "; did you mean '" + name + "'?";
  }
  return quoted + " (try " + std::string(how_to_list) + ")";
}

}  // namespace sfs::client
