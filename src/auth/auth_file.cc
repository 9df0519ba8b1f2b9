#include "auth/auth_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/password_hash.h"
#include "auth/user_name.h"
#include "base/atomic_file.h"
#include "base/errno_error.h"

namespace sfs::auth {
namespace {

constexpr std::string_view kArgon2Prefix = "$argon2id$";
constexpr std::size_t kMaxFileBytes = 16U << 20;

Error line_error(std::string_view source, std::size_t line, std::string_view why) {
  return make_error(Errc::kBadRequest,
                    std::string(source) + ":" + std::to_string(line) + ": " + std::string(why));
}

Error io_error(const std::filesystem::path& file, std::string_view what) {
  const int err = errno;  // before building the message can change it
  return errno_error(Errc::kIo, std::string(what) + " " + file.string(), err);
}

}  // namespace

Result<AuthFileLock> AuthFileLock::acquire(const std::filesystem::path& file) {
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return io_error(dir, "cannot open");
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return io_error(dir, "cannot lock");
    }
  }
  return AuthFileLock(std::move(fd));
}

bool Entry::hashed() const { return secret.starts_with(kArgon2Prefix); }

Result<AuthFile> AuthFile::parse(std::string_view text, std::string_view source,
                                 std::filesystem::path file) {
  AuthFile out;
  out.file_ = std::move(file);
  std::set<std::string, std::less<>> seen;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#') {
      out.lines_.push_back({std::nullopt, std::string(line)});
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return line_error(source, line_no, "expected user:password");
    }
    Entry entry{std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))};
    if (!is_valid_user_name(entry.name)) {
      return line_error(source, line_no, "invalid user name (use 1-32 of A-Z a-z 0-9 . _ -)");
    }
    if (entry.secret.empty() || entry.secret.size() > kMaxPasswordBytes) {
      return line_error(source, line_no, "password empty or longer than 1024 bytes");
    }
    if (!seen.insert(entry.name).second) {
      return line_error(source, line_no, "duplicate user '" + entry.name + "'");
    }
    out.lines_.push_back({std::move(entry), {}});
  }
  return out;
}

Result<AuthFile> AuthFile::load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return make_error(Errc::kNotFound, "auth file " + file.string() + " not found");
  }
  if (!std::filesystem::is_regular_file(file, ec)) {
    return make_error(Errc::kIo, "auth file " + file.string() + " is not a regular file");
  }
  if (std::filesystem::file_size(file, ec) > kMaxFileBytes) {
    return make_error(Errc::kTooLarge, "auth file " + file.string() + " is too large");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return make_error(Errc::kIo, "auth file " + file.string() + " cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string(), file);
}

AuthFile AuthFile::empty(std::filesystem::path file) {
  AuthFile out;
  out.file_ = std::move(file);
  return out;
}

std::vector<Entry> AuthFile::entries() const {
  std::vector<Entry> out;
  for (const Line& line : lines_) {
    if (line.entry) {
      out.push_back(*line.entry);
    }
  }
  return out;
}

const Entry* AuthFile::find(std::string_view name) const {
  for (const Line& line : lines_) {
    if (line.entry && line.entry->name == name) {
      return &*line.entry;
    }
  }
  return nullptr;
}

void AuthFile::set(const std::string& name, const std::string& secret) {
  for (Line& line : lines_) {
    if (line.entry && line.entry->name == name) {
      line.entry->secret = secret;
      return;
    }
  }
  lines_.push_back({Entry{name, secret}, {}});
}

bool AuthFile::remove(std::string_view name) {
  for (auto it = lines_.begin(); it != lines_.end(); ++it) {
    if (it->entry && it->entry->name == name) {
      lines_.erase(it);
      return true;
    }
  }
  return false;
}

Result<std::size_t> AuthFile::migrate(
    const std::function<Result<std::string>(std::string_view)>& hash) {
  std::size_t migrated = 0;
  for (Line& line : lines_) {
    if (line.entry && !line.entry->hashed()) {
      SFS_ASSIGN_OR_RETURN(auto hashed, hash(line.entry->secret));
      line.entry->secret = std::move(hashed);
      ++migrated;
    }
  }
  return migrated;
}

Result<void> AuthFile::save() const {
  std::string text;
  for (const Line& line : lines_) {
    text += line.entry ? line.entry->name + ":" + line.entry->secret : line.text;
    text += '\n';
  }
  return replace_file(file_, text, 0600, Errc::kIo);
}

}  // namespace sfs::auth
