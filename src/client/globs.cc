#include "client/globs.h"

#include <fnmatch.h>
#include <glob.h>

#include <algorithm>

#include "client/tree_transfer.h"

namespace sfs::client {
namespace {

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

Error nothing_matches(std::string_view pattern) {
  return make_error(Errc::kNotFound, "nothing matches " + std::string(pattern));
}

// The '/'-separated components of `pattern`, empty ones dropped.
std::vector<std::string> components(std::string_view pattern) {
  std::vector<std::string> parts;
  while (!pattern.empty()) {
    const std::size_t slash = pattern.find('/');
    if (const std::string_view part = pattern.substr(0, slash); !part.empty()) {
      parts.emplace_back(part);
    }
    pattern = slash == std::string_view::npos ? std::string_view() : pattern.substr(slash + 1);
  }
  return parts;
}

// One step of a remote expansion: every entry of every folder in `dirs`
// whose name matches `part`; only folders unless `last`.
Result<std::vector<std::string>> match_in(Connection& conn, const std::vector<std::string>& dirs,
                                          const std::string& part, bool last) {
  std::vector<std::string> matches;
  for (const std::string& dir : dirs) {
    auto entries = conn.list(dir);
    if (!entries) {
      const Errc code = entries.error().code;
      if (code == Errc::kNetwork || code == Errc::kProtocol || code == Errc::kAuth) {
        return entries.error();
      }
      continue;  // not a folder, or gone: it matches nothing
    }
    for (const protocol::Entry& e : *entries) {
      SFS_RETURN_IF_ERROR(check_remote_name(e.name));
      if ((last || e.type == 'd') && ::fnmatch(part.c_str(), e.name.c_str(), FNM_PERIOD) == 0) {
        matches.push_back(join(dir, e.name));
      }
    }
    if (matches.size() > kMaxGlobMatches) {
      return make_error(Errc::kTooLarge, "too many matches");
    }
  }
  return matches;
}

// Applies the literal component `part` ("..", or a name) to every path.
Result<void> step_literal(std::vector<std::string>& paths, const std::string& part) {
  for (std::string& path : paths) {
    if (part != "..") {
      path = join(path, unescape_glob(part));
    } else if (path.empty()) {
      return make_error(Errc::kBadPath, "'..' leads above your top directory");
    } else {
      const std::size_t slash = path.rfind('/');
      path.erase(slash == std::string::npos ? 0 : slash);
    }
  }
  return {};
}

}  // namespace

bool has_glob(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '*' || pattern[i] == '?' || pattern[i] == '[') {
      return true;
    }
  }
  return false;
}

std::string unescape_glob(std::string_view pattern) {
  std::string text;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
    }
    text.push_back(pattern[i]);
  }
  return text;
}

Result<std::vector<std::string>> expand_local(const std::string& pattern) {
  ::glob_t found{};
  // The client runs one command at a time on one thread.
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &found);  // NOLINT(concurrency-mt-unsafe)
  std::vector<std::string> paths;
  if (rc == 0) {
    paths.assign(found.gl_pathv, found.gl_pathv + found.gl_pathc);
  }
  ::globfree(&found);
  if (rc == GLOB_NOSPACE || paths.size() > kMaxGlobMatches) {
    return make_error(Errc::kTooLarge, "too many matches for " + pattern);
  }
  if (paths.empty()) {
    return nothing_matches(pattern);
  }
  return paths;  // glob(3) sorts them
}

Result<std::vector<std::string>> expand_remote(Connection& conn, std::string_view cwd,
                                               const std::string& pattern) {
  std::vector<std::string> paths{pattern.starts_with('/') ? std::string() : std::string(cwd)};
  const std::vector<std::string> parts = components(pattern);
  for (std::size_t i = 0; i < parts.size() && !paths.empty(); ++i) {
    if (parts[i] == ".") {
      continue;
    }
    if (has_glob(parts[i])) {
      SFS_ASSIGN_OR_RETURN(paths, match_in(conn, paths, parts[i], i + 1 == parts.size()));
    } else {
      SFS_RETURN_IF_ERROR(step_literal(paths, parts[i]));
    }
  }
  if (paths.empty()) {
    return nothing_matches(pattern);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

}  // namespace sfs::client
