#include "client/trust_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/errno_error.h"

namespace sfs::client {

std::filesystem::path TrustStore::default_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "sfs" / "known_servers";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "sfs" / "known_servers";
}

std::optional<TrustStore::Pin> TrustStore::find(const std::string& server) const {
  std::ifstream in(file_);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::size_t space = line.find(' ');
    if (space != std::string::npos && line.compare(0, space, server) == 0 &&
        space == server.size()) {
      return Pin{line.substr(space + 1), number};
    }
  }
  return std::nullopt;
}

std::string TrustStore::lookup(const std::string& server) const {
  auto pin = find(server);
  return pin ? pin->fingerprint : std::string();
}

std::string TrustStore::shown_file() const {
  const char* home = std::getenv("HOME");
  std::string path = file_.string();
  if (home != nullptr && home[0] == '/') {
    std::string prefix(home);
    if (!prefix.ends_with('/')) {
      prefix += '/';
    }
    if (path.starts_with(prefix) && path.size() > prefix.size()) {
      return "~/" + path.substr(prefix.size());
    }
  }
  return path;
}

TrustStore::Verdict TrustStore::check(const std::string& server,
                                      const std::string& fingerprint) const {
  const std::string pinned = lookup(server);
  if (pinned.empty()) {
    return Verdict::kUnknown;
  }
  return pinned == fingerprint ? Verdict::kKnown : Verdict::kChanged;
}

Result<void> TrustStore::add(const std::string& server, const std::string& fingerprint) const {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  if (ec) {
    return make_error(Errc::kLocal,
                      "cannot create " + file_.parent_path().string() + ": " + ec.message());
  }
  std::filesystem::permissions(file_.parent_path(), std::filesystem::perms::owner_all, ec);
  const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno_error(Errc::kLocal, "cannot write " + file_.string(), errno);
  }
  const std::string line = server + " " + fingerprint + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) {
    return make_error(Errc::kLocal, "cannot write " + file_.string());
  }
  return {};
}

namespace {

// Whether the pin line `line` is for `wanted`: the exact "host:port", or a
// bare host naming any port of it.
bool pin_matches(const std::string& line, const std::string& wanted) {
  const std::string server = line.substr(0, line.find(' '));
  if (server == wanted) {
    return true;
  }
  const std::size_t colon = server.rfind(':');
  return colon != std::string::npos && server.compare(0, colon, wanted) == 0 &&
         colon == wanted.size();
}

}  // namespace

std::vector<std::string> TrustStore::lines() const {
  std::ifstream in(file_);
  std::vector<std::string> result;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      result.push_back(line);
    }
  }
  return result;
}

Result<std::size_t> TrustStore::forget(const std::string& server) const {
  std::vector<std::string> kept;
  std::size_t removed = 0;
  for (std::string& line : lines()) {
    if (pin_matches(line, server)) {
      ++removed;
    } else {
      kept.push_back(std::move(line));
    }
  }
  if (removed == 0) {
    return removed;
  }
  const std::filesystem::path temp = file_.string() + ".new";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno_error(Errc::kLocal, "cannot write " + temp.string(), errno);
  }
  std::string text;
  for (const std::string& line : kept) {
    text += line + "\n";
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (!written || !closed || std::rename(temp.c_str(), file_.c_str()) != 0) {
    (void)::unlink(temp.c_str());  // best effort: the old file is untouched
    return make_error(Errc::kLocal, "cannot write " + file_.string());
  }
  return removed;
}

}  // namespace sfs::client
