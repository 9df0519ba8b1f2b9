#pragma once
// The auth file as text: one `name:secret` entry a line, '#' comments and
// blank lines kept as they are. The server reads it (through UserDb);
// sfs-admin edits it and saves it atomically.
//
//   auto file = AuthFile::load("id_passwd.txt");      // "FILE:LINE: why" on error
//   file->set("alice", hash_password(pw).value());    // add or replace
//   file->save();                                     // temp, fsync, rename, 0600

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sfs::auth {

struct Entry {
  std::string name;
  std::string secret;  // plaintext (legacy) or "$argon2id$..."
  bool hashed() const;
};

// Serialises read-modify-write cycles of the auth file (sfs-admin, the
// server's rehash) so that none loses another's change: an exclusive flock
// on the directory that holds the file (the file itself is replaced by each
// save, so its own lock would not do), held until this object goes away.
class AuthFileLock {
 public:
  static Result<AuthFileLock> acquire(const std::filesystem::path& file);

 private:
  explicit AuthFileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

class AuthFile {
 public:
  // kNotFound when the file is missing, kBadRequest ("FILE:LINE: why") when
  // malformed, kTooLarge over 16 MiB, kIo when unreadable or not a file.
  static Result<AuthFile> load(const std::filesystem::path& file);
  // The same checks, on text; `source` names it in messages.
  static Result<AuthFile> parse(std::string_view text, std::string_view source,
                                std::filesystem::path file = {});
  // An empty file that save() will create.
  static AuthFile empty(std::filesystem::path file);

  std::vector<Entry> entries() const;
  const Entry* find(std::string_view name) const;
  // Adds a user or replaces its secret.
  void set(const std::string& name, const std::string& secret);
  // False when there was no such user.
  bool remove(std::string_view name);
  // Replaces every plaintext secret by `hash(plaintext)`; returns how many.
  Result<std::size_t> migrate(const std::function<Result<std::string>(std::string_view)>& hash);

  // Writes the file atomically with mode 0600: a temp file in the same
  // directory, fsync, rename over the file, fsync the directory.
  Result<void> save() const;

 private:
  // A line of the file: an entry, or text kept verbatim.
  struct Line {
    std::optional<Entry> entry;
    std::string text;
  };

  std::filesystem::path file_;
  std::vector<Line> lines_;
};

}  // namespace sfs::auth
