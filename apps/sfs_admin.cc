// sfs-admin: manages the auth file (users and their Argon2id password
// hashes). Every change rewrites the file atomically with mode 0600.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "auth/auth_file.h"
#include "auth/password_hash.h"
#include "auth/user_db_reloader.h"
#include "auth/user_name.h"
#include "term/terminal.h"

namespace {

namespace fs = std::filesystem;
using sfs::Result;
using sfs::auth::AuthFile;

// A name as it may be shown: control bytes (a newline, an escape sequence)
// become '?', so a refused name cannot break the one-line error.
std::string shown(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      c = '?';
    }
  }
  return out;
}

// The shortest password sfs-admin sets without --allow-weak, in characters
// (NIST SP 800-63B's minimum for a password the user chose).
constexpr std::size_t kMinPasswordChars = 8;

// Characters (code points) of UTF-8 text: every byte but continuation bytes.
std::size_t count_chars(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return count;
}

// What a server running on this file will do about a change, in one line:
// sfs-admin cannot know whether one runs, so it says "a running sfs-server".
void tell_what_the_server_does(const std::string& then) {
  std::printf(
      "a running sfs-server checks this file every %lld s (at once on SIGHUP) and then %s\n",
      static_cast<long long>(sfs::auth::kAuthFileCheckInterval.count()), then.c_str());
}

int fail(const std::string& message) {
  std::fprintf(stderr, "sfs-admin: %s\n", message.c_str());
  return 1;
}

// The new password: the first line of stdin, or typed twice on the terminal.
// At least kMinPasswordChars characters unless `allow_weak`; never empty.
Result<std::string> read_new_password(bool from_stdin, bool allow_weak) {
  std::string password;
  if (from_stdin) {
    if (!std::getline(std::cin, password)) {
      return sfs::make_error(sfs::Errc::kLocal, "no password on standard input");
    }
    if (!password.empty() && password.back() == '\r') {
      password.pop_back();
    }
  } else {
    auto first = sfs::term::read_from_terminal("New password: ", false);
    if (!first) {
      return sfs::make_error(sfs::Errc::kLocal, "no terminal: use --password-stdin");
    }
    auto second = sfs::term::read_from_terminal("Retype new password: ", false);
    if (!second || *second != *first) {
      return sfs::make_error(sfs::Errc::kLocal, "passwords do not match");
    }
    password = *first;
  }
  if (password.empty()) {
    return sfs::make_error(sfs::Errc::kLocal, "empty password");
  }
  if (!allow_weak && count_chars(password) < kMinPasswordChars) {
    return sfs::make_error(sfs::Errc::kLocal, "password too short: use at least " +
                                                  std::to_string(kMinPasswordChars) +
                                                  " characters (or --allow-weak to set it anyway)");
  }
  return password;
}

// Loads the auth file; a missing one is an empty one when `create` is set.
Result<AuthFile> open_auth_file(const fs::path& path, bool create) {
  auto file = AuthFile::load(path);
  if (!file && file.error().code == sfs::Errc::kNotFound && create) {
    return AuthFile::empty(path);
  }
  return file;
}

// The auth file, locked against other changes until this goes away.
struct LockedFile {
  sfs::auth::AuthFileLock lock;
  AuthFile file;
};

Result<LockedFile> open_locked(const fs::path& path, bool create) {
  SFS_ASSIGN_OR_RETURN(auto lock, sfs::auth::AuthFileLock::acquire(path));
  SFS_ASSIGN_OR_RETURN(auto file, open_auth_file(path, create));
  return LockedFile{std::move(lock), std::move(file)};
}

struct PasswordOptions {
  bool from_stdin = false;
  bool allow_weak = false;
};

int set_password(const fs::path& auth_file, const std::string& name, PasswordOptions options,
                 bool adding) {
  if (!sfs::auth::is_valid_user_name(name)) {
    return fail("invalid user name '" + shown(name) +
                "' (use 1-32 of A-Z a-z 0-9 . _ -, not starting "
                "with . or -)");
  }
  auto locked = open_locked(auth_file, adding);
  if (!locked) {
    return fail(locked.error().message);
  }
  AuthFile* file = &locked->file;
  if (adding && file->find(name) != nullptr) {
    return fail("user '" + name + "' already exists (use: sfs-admin user passwd " + name + ")");
  }
  if (!adding && file->find(name) == nullptr) {
    return fail("no such user '" + shown(name) + "'");
  }
  auto password = read_new_password(options.from_stdin, options.allow_weak);
  if (!password) {
    return fail(password.error().message);
  }
  auto hash = sfs::auth::hash_password(*password);
  if (!hash) {
    return fail(hash.error().message);
  }
  file->set(name, *hash);
  if (auto ok = file->save(); !ok) {
    return fail(ok.error().message);
  }
  std::printf("%s user '%s' in %s\n", adding ? "added" : "changed the password of", name.c_str(),
              auth_file.c_str());
  tell_what_the_server_does(adding ? "lets " + name + " log in"
                                   : "ends " + name + "'s open sessions");
  return 0;
}

// Checks, before anything changes, that --storage is a server's storage
// root (it holds the u/ directory the server makes) so that a mistyped
// path cannot pass for "nothing to remove". Returns the user's directory.
Result<fs::path> user_storage(const fs::path& storage, const std::string& name) {
  if (!sfs::auth::is_valid_user_name(name)) {
    return sfs::make_error(sfs::Errc::kLocal, "cannot purge the files of '" + shown(name) +
                                                  "': not a valid user name");
  }
  std::error_code ec;
  const fs::path users = storage / "u";
  if (!fs::is_directory(fs::symlink_status(users, ec))) {
    return sfs::make_error(sfs::Errc::kLocal,
                           storage.string() + " is not an sfs storage root (it has no u/ " +
                               "directory); nothing was changed (give the server's --storage)");
  }
  const fs::path dir = users / name;
  const fs::file_status status = fs::symlink_status(dir, ec);
  if (fs::exists(status) && !fs::is_directory(status)) {
    return sfs::make_error(sfs::Errc::kLocal, dir.string() + " is not a directory; nothing " +
                                                  "was changed (remove it by hand)");
  }
  return dir;
}

// Removes the user's directory; says what it removed, or that there was
// nothing (the user never logged in).
int purge_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) {
    std::printf("no files to remove: %s does not exist (the user never logged in)\n", dir.c_str());
    return 0;
  }
  const auto removed = fs::remove_all(dir, ec);  // does not follow symlinks
  if (ec) {
    return fail("cannot remove " + dir.string() + ": " + ec.message());
  }
  // remove_all counts the directory itself too.
  std::printf("removed %s and the %ju file(s) and folder(s) in it\n", dir.c_str(),
              static_cast<std::uintmax_t>(removed > 0 ? removed - 1 : 0));
  return 0;
}

int delete_user(const fs::path& auth_file, const fs::path& storage, const std::string& name,
                bool purge) {
  auto locked = open_locked(auth_file, false);
  if (!locked) {
    return fail(locked.error().message);
  }
  AuthFile* file = &locked->file;
  if (file->find(name) == nullptr) {
    return fail("no such user '" + shown(name) + "'");
  }
  std::optional<fs::path> dir;
  if (purge) {
    auto checked = user_storage(storage, name);
    if (!checked) {
      return fail(checked.error().message);
    }
    dir = *checked;
  }
  (void)file->remove(name);  // found above, under the same lock
  if (auto ok = file->save(); !ok) {
    return fail(ok.error().message);
  }
  std::printf("deleted user '%s' from %s\n", name.c_str(), auth_file.c_str());
  tell_what_the_server_does("ends " + name + "'s open sessions");
  return dir ? purge_files(*dir) : 0;
}

int list_users(const fs::path& auth_file) {
  auto file = open_auth_file(auth_file, false);
  if (!file) {
    return fail(file.error().message);
  }
  for (const sfs::auth::Entry& entry : file->entries()) {
    std::printf("%s\t%s\n", entry.name.c_str(),
                entry.hashed() ? "argon2id" : "plaintext (run: sfs-admin migrate)");
  }
  return 0;
}

int migrate(const fs::path& auth_file) {
  auto locked = open_locked(auth_file, false);
  if (!locked) {
    return fail(locked.error().message);
  }
  AuthFile* file = &locked->file;
  auto migrated =
      file->migrate([](std::string_view plain) { return sfs::auth::hash_password(plain); });
  if (!migrated) {
    return fail(migrated.error().message);
  }
  if (*migrated > 0) {
    if (auto ok = file->save(); !ok) {
      return fail(ok.error().message);
    }
  }
  std::printf("hashed %zu plaintext password(s) in %s\n", *migrated, auth_file.c_str());
  if (*migrated > 0) {
    // The passwords stay, but the server keeps no plaintext to compare the
    // new hashes with: to it they are new passwords.
    tell_what_the_server_does("ends the open sessions of these users (the same passwords log in)");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path auth_file = "id_passwd.txt";
  fs::path storage = "server_storage";
  std::string name;
  PasswordOptions password_options;
  bool purge = false;

  CLI::App app{
      "sfs-admin: manage sfs users (Argon2id password hashes)\n\n"
      "Examples:\n"
      "  sfs-admin user add alice\n"
      "  echo 'secret' | sfs-admin user passwd alice --password-stdin\n"
      "  sfs-admin user del alice --purge\n"
      "  sfs-admin user list\n"
      "  sfs-admin migrate"};
  app.add_option("--auth-file", auth_file, "User database")->capture_default_str();
  app.add_option("--storage", storage, "Storage root (for --purge)")->capture_default_str();
  app.set_version_flag("--version", "sfs-admin " SFS_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.fallthrough();  // --auth-file after the command too, as sfs takes its options
  CLI::App* user = app.add_subcommand("user", "Add, change, delete or list users");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand("add", "Add a user");
  CLI::App* passwd = user->add_subcommand("passwd", "Change a user's password");
  for (CLI::App* sub : {add, passwd}) {
    sub->add_option("NAME", name, "User name")->required();
    sub->add_flag("--password-stdin", password_options.from_stdin,
                  "Read the password from standard input");
    sub->add_flag("--allow-weak", password_options.allow_weak,
                  "Accept a password shorter than 8 characters");
  }
  CLI::App* del = user->add_subcommand("del", "Delete a user");
  del->add_option("NAME", name, "User name")->required();
  del->add_flag("--purge", purge, "Also remove the user's files");
  CLI::App* list = user->add_subcommand("list", "List users");
  CLI::App* migrate_cmd =
      app.add_subcommand("migrate", "Hash every plaintext password in the auth file");
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "sfs-admin: " + std::string(e.what()) + " (see sfs-admin --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (add->parsed() || passwd->parsed()) {
    return set_password(auth_file, name, password_options, add->parsed());
  }
  if (del->parsed()) {
    return delete_user(auth_file, storage, name, purge);
  }
  if (list->parsed()) {
    return list_users(auth_file);
  }
  if (migrate_cmd->parsed()) {
    return migrate(auth_file);
  }
  return 2;
}
