// sfs-admin: manages the users and their Argon2id password hashes, in the
// auth file (every change rewrites it atomically with mode 0600) or in a
// cluster's PostgreSQL database (--db; every change one transaction).

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
#include "auth/user_store.h"
#include "pg/database.h"
#include "pg/pg_user_store.h"
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

// What a server running on this store will do about a change, in one
// line: sfs-admin cannot know whether one runs, so it says "a running
// sfs-server".
void tell_what_the_server_does(const sfs::auth::UserStore& store, const std::string& then) {
  if (store.kind() == "auth file") {
    std::printf(
        "a running sfs-server checks this file every %lld s (at once on SIGHUP) and then %s\n",
        static_cast<long long>(sfs::auth::kAuthFileCheckInterval.count()), then.c_str());
  } else {
    std::printf("every sfs-server on this database sees it within %lld ms and then %s\n",
                static_cast<long long>(store.check_interval().count()), then.c_str());
  }
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

// Where the users are: the database given by --db, or the auth file (a
// missing one counts as empty when `create` is set).
Result<std::unique_ptr<sfs::auth::UserStore>> open_store(const std::string& db_url,
                                                         const fs::path& auth_file, bool create) {
  if (db_url.empty()) {
    return std::unique_ptr<sfs::auth::UserStore>(
        std::make_unique<sfs::auth::FileUserStore>(auth_file, create));
  }
  SFS_ASSIGN_OR_RETURN(auto db, sfs::pg::Database::open(db_url));
  return std::unique_ptr<sfs::auth::UserStore>(
      std::make_unique<sfs::pg::PgUserStore>(std::move(db)));
}

// Whether `name` is a user of `store` now.
Result<bool> has_user(sfs::auth::UserStore& store, const std::string& name) {
  SFS_ASSIGN_OR_RETURN(auto snapshot, store.load());
  for (const auto& entry : snapshot.entries) {
    if (entry.name == name) {
      return true;
    }
  }
  return false;
}

struct PasswordOptions {
  bool from_stdin = false;
  bool allow_weak = false;
};

std::string invalid_name(const std::string& name) {
  return "invalid user name '" + shown(name) +
         "' (use 1-32 of A-Z a-z 0-9 . _ -, not starting with . or -)";
}

int set_password(sfs::auth::UserStore& store, const std::string& name, PasswordOptions options,
                 bool adding) {
  if (!sfs::auth::is_valid_user_name(name)) {
    return fail(invalid_name(name));
  }
  // Before the password is typed: a mistyped command fails at once.
  auto known = has_user(store, name);
  if (!known && !(adding && known.error().code == sfs::Errc::kNotFound)) {
    return fail(known.error().message);
  }
  const bool exists = known && *known;
  if (adding && exists) {
    return fail("user '" + name + "' already exists (use: sfs-admin user passwd " + name + ")");
  }
  if (!adding && !exists) {
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
  auto done = adding ? store.add({name, *hash}) : store.set_secret(name, *hash);
  if (!done) {
    return fail(done.error().message);
  }
  std::printf("%s user '%s' in %s\n", adding ? "added" : "changed the password of", name.c_str(),
              store.name().c_str());
  tell_what_the_server_does(
      store, adding ? "lets " + name + " log in" : "ends " + name + "'s open sessions");
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

int delete_user(sfs::auth::UserStore& store, const fs::path& storage, const std::string& name,
                bool purge) {
  auto known = has_user(store, name);
  if (!known) {
    return fail(known.error().message);
  }
  if (!*known) {
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
  if (auto ok = store.remove(name); !ok) {
    return fail(ok.error().message);
  }
  std::printf("deleted user '%s' from %s\n", name.c_str(), store.name().c_str());
  tell_what_the_server_does(store, "ends " + name + "'s open sessions");
  return dir ? purge_files(*dir) : 0;
}

int list_users(sfs::auth::UserStore& store) {
  auto snapshot = store.load();
  if (!snapshot) {
    return fail(snapshot.error().message);
  }
  for (const sfs::auth::Entry& entry : snapshot->entries) {
    std::printf("%s\t%s\n", entry.name.c_str(),
                entry.hashed() ? "argon2id" : "plaintext (run: sfs-admin migrate)");
  }
  return 0;
}

int migrate(sfs::auth::UserStore& store) {
  auto migrated =
      store.migrate([](std::string_view plain) { return sfs::auth::hash_password(plain); });
  if (!migrated) {
    return fail(migrated.error().message);
  }
  std::printf("hashed %zu plaintext password(s) in %s\n", *migrated, store.name().c_str());
  if (*migrated > 0) {
    // The passwords stay, but the server keeps no plaintext to compare the
    // new hashes with: to it they are new passwords.
    tell_what_the_server_does(store,
                              "ends the open sessions of these users (the same passwords log in)");
  }
  return 0;
}

// Copies the users of an auth file into `store` (the database, mostly),
// hashing plaintext passwords on the way: users already there keep theirs
// and are named. Each user is one change, so running it again after a
// failure finishes the job.
int import_users(sfs::auth::UserStore& store, const fs::path& from) {
  auto file = AuthFile::load(from);
  if (!file) {
    return fail(file.error().message);
  }
  std::size_t added = 0;
  std::vector<std::string> kept;
  for (const sfs::auth::Entry& entry : file->entries()) {
    auto secret =
        entry.hashed() ? Result<std::string>(entry.secret) : sfs::auth::hash_password(entry.secret);
    if (!secret) {
      return fail(secret.error().message);
    }
    auto done = store.add({entry.name, *secret});
    if (!done && done.error().code == sfs::Errc::kExists) {
      kept.push_back(entry.name);
    } else if (!done) {
      return fail(done.error().message + " (" + std::to_string(added) +
                  " user(s) imported before it; run the import again to finish)");
    } else {
      ++added;
    }
  }
  std::printf("imported %zu user(s) from %s into %s", added, from.c_str(), store.name().c_str());
  if (!kept.empty()) {
    std::printf("; %zu already there kept their password:", kept.size());
    for (const auto& name : kept) {
      std::printf(" %s", name.c_str());
    }
  }
  std::printf("\n");
  if (added > 0) {
    tell_what_the_server_does(store, "lets them log in");
  }
  return 0;
}

// What the command line asked for: the options, and which command.
struct Request {
  fs::path auth_file = "id_passwd.txt";
  std::string db_url;
  fs::path storage = "server_storage";
  fs::path import_from;
  std::string name;
  PasswordOptions password_options;
  bool purge = false;
  enum class Command { kAdd, kPasswd, kDel, kList, kMigrate, kImport } command{};
};

int run(const Request& r) {
  using C = Request::Command;
  if (r.command == C::kImport && r.db_url.empty()) {
    return fail("import needs --db (the database the users go to)");
  }
  auto store = open_store(r.db_url, r.auth_file, r.command == C::kAdd || r.command == C::kImport);
  if (!store) {
    return fail(store.error().message);
  }
  switch (r.command) {
    case C::kAdd:
    case C::kPasswd:
      return set_password(**store, r.name, r.password_options, r.command == C::kAdd);
    case C::kDel:
      return delete_user(**store, r.storage, r.name, r.purge);
    case C::kList:
      return list_users(**store);
    case C::kMigrate:
      return migrate(**store);
    case C::kImport:
      return import_users(**store, r.import_from);
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Request r;
  CLI::App app{
      "sfs-admin: manage sfs users (Argon2id password hashes)\n\n"
      "Examples:\n"
      "  sfs-admin user add alice\n"
      "  echo 'secret' | sfs-admin user passwd alice --password-stdin\n"
      "  sfs-admin user del alice --purge\n"
      "  sfs-admin user list\n"
      "  sfs-admin migrate\n"
      "  sfs-admin --db postgresql://sfs@db1/sfs import id_passwd.txt"};
  app.add_option("--auth-file", r.auth_file, "User database")->capture_default_str();
  app.add_option(
      "--db", r.db_url,
      "PostgreSQL database of a cluster's users instead of the auth file "
      "(postgresql://USER@HOST/DB; the password in PGPASSFILE, ~/.pgpass or PGPASSWORD)");
  app.add_option("--storage", r.storage, "Storage root (for --purge)")->capture_default_str();
  app.set_version_flag("--version", "sfs-admin " SFS_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.fallthrough();  // --auth-file after the command too, as sfs takes its options
  CLI::App* user = app.add_subcommand("user", "Add, change, delete or list users");
  user->require_subcommand(1);
  CLI::App* add = user->add_subcommand("add", "Add a user");
  CLI::App* passwd = user->add_subcommand("passwd", "Change a user's password");
  for (CLI::App* sub : {add, passwd}) {
    sub->add_option("NAME", r.name, "User name")->required();
    sub->add_flag("--password-stdin", r.password_options.from_stdin,
                  "Read the password from standard input");
    sub->add_flag("--allow-weak", r.password_options.allow_weak,
                  "Accept a password shorter than 8 characters");
  }
  CLI::App* del = user->add_subcommand("del", "Delete a user");
  del->add_option("NAME", r.name, "User name")->required();
  del->add_flag("--purge", r.purge, "Also remove the user's files");
  CLI::App* list = user->add_subcommand("list", "List users");
  CLI::App* migrate_cmd =
      app.add_subcommand("migrate", "Hash every plaintext password in the auth file");
  CLI::App* import_cmd = app.add_subcommand(
      "import", "Copy the users of an auth file (id_passwd.txt) into --db, hashing plaintext");
  import_cmd->add_option("FILE", r.import_from, "The auth file to read")->required();
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "sfs-admin: " + std::string(e.what()) + " (see sfs-admin --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  using C = Request::Command;
  const std::pair<CLI::App*, C> commands[] = {
      {add, C::kAdd},   {passwd, C::kPasswd},       {del, C::kDel},
      {list, C::kList}, {migrate_cmd, C::kMigrate}, {import_cmd, C::kImport}};
  for (const auto& [sub, command] : commands) {
    if (sub->parsed()) {
      r.command = command;
      return run(r);
    }
  }
  return 2;
}
