#include "client/commands.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "client/exit_codes.h"
#include "client/json.h"
#include "client/login.h"
#include "client/view_format.h"
#include "protocol/limits.h"
#include "protocol/path.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

bool progress_wanted() { return ::isatty(STDERR_FILENO) == 1; }

// With compression on, one line on stderr after each transfer: what it saved.
void report_wire(const Connection& conn, const char* verb, const std::string& name) {
  if (!conn.compressing()) {
    return;
  }
  const Connection::WireTotals totals = conn.last_transfer();
  std::fprintf(stderr, "sfs: %s %s: %llu bytes, %llu on the wire (zstd)\n", verb, name.c_str(),
               static_cast<unsigned long long>(totals.file_bytes),
               static_cast<unsigned long long>(totals.wire_bytes));
}

std::string resolve_user(const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  for (const char* var : {"SFS_USER", "USER", "LOGNAME"}) {
    if (const char* value = std::getenv(var); value != nullptr && value[0] != '\0') {
      return value;
    }
  }
  return {};
}

}  // namespace

std::string last_component(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<void> check_remote_path(const std::string& remote) {
  return protocol::validate_remote_path(remote);  // the server's own words, before sending
}

Result<std::unique_ptr<Connection>> open_session(const SessionOptions& options) {
  const std::string user = resolve_user(options.user);
  if (user.empty()) {
    return make_error(Errc::kBadRequest, "no user name: use --user or set SFS_USER");
  }
  SFS_ASSIGN_OR_RETURN(auto conn, Connection::open(options.connect));
  // Only now, with the server verified, is the password asked for and sent.
  SFS_RETURN_IF_ERROR(log_in(*conn, user, options.password_file));
  if (options.compress) {
    if (auto ok = conn->enable_compression(); !ok) {
      if (ok.error().code != Errc::kBadRequest) {
        return ok.error();
      }
      std::fprintf(stderr, "sfs: note: %s does not offer compression (%s); sending uncompressed\n",
                   conn->server_name().c_str(), ok.error().message.c_str());
    }
  }
  return conn;
}

void say_unchanged(const std::string& target) {
  std::fprintf(stderr,
               "sfs: put %s: unchanged (same size and digest), not sent; --force "
               "sends it anyway\n",
               target.c_str());
}

namespace {

bool small_file(const std::string& local) {
  std::error_code ec;
  const auto size = fs::file_size(local, ec);
  return !ec && size <= Connection::kSmallFileBytes;
}

// A small file goes with its size and digest in the PUT, one request in
// all: the server skips it when unchanged, and a directory at `target`
// (ERR ISDIR) takes it in by its name. Nullopt when the server does not
// take that form (the caller then asks with STAT first, as before).
std::optional<Result<Outcome>> put_small_file(Connection& conn, const std::string& local,
                                              const std::string& remote, std::string target,
                                              const std::string& name, const CopyOptions& options) {
  if (const std::size_t slash = target.rfind('/'); slash != std::string::npos) {
    if (auto made = conn.make_dir(target.substr(0, slash), true); !made) {
      return Result<Outcome>(made.error());
    }
  }
  auto same = conn.put_small(local, target, options.keep_times, progress_wanted());
  if (!same && same.error().code == Errc::kIsDir && remote == target) {
    target += "/" + name;  // into the directory
    same = conn.put_small(local, target, options.keep_times, progress_wanted());
  }
  if (!same && conn.takes_offers() == false) {
    return std::nullopt;
  }
  if (!same) {
    return Result<Outcome>(same.error());
  }
  if (*same) {
    say_unchanged(target);
    return Result<Outcome>(Outcome::kUnchanged);
  }
  return Result<Outcome>(Outcome::kSent);
}

}  // namespace

Result<Outcome> put_file(Connection& conn, const std::string& local, const std::string& remote,
                         const CopyOptions& options) {
  const std::string name = fs::path(local).filename().string();
  std::string target = remote.empty() ? name : remote;
  if (target.empty() || name.empty()) {
    return make_error(Errc::kBadRequest, "cannot tell the remote name from '" + local + "'");
  }
  SFS_RETURN_IF_ERROR(check_remote_path(target));
  if (!options.force && !conn.compressing() && conn.takes_offers() != false && small_file(local)) {
    if (auto done = put_small_file(conn, local, remote, target, name, options)) {
      return *done;
    }
  }
  if (!options.force) {
    SFS_ASSIGN_OR_RETURN(auto there, remote_entry_at(conn, target));
    if (there && there->type == 'd' && remote == target) {
      target += "/" + name;  // into the directory
      SFS_ASSIGN_OR_RETURN(there, remote_entry_at(conn, target));
    }
    SFS_ASSIGN_OR_RETURN(const bool same,
                         there ? same_content(conn, local, target, *there) : Result<bool>(false));
    if (same) {
      say_unchanged(target);
      return Outcome::kUnchanged;
    }
  }
  // Missing parents are created first, like rclone (PUT itself does not).
  if (const std::size_t slash = target.rfind('/'); slash != std::string::npos) {
    SFS_RETURN_IF_ERROR(conn.make_dir(target.substr(0, slash), true));
  }
  auto result = conn.put(local, target, progress_wanted(), options.resume, options.keep_times);
  if (!result && result.error().code == Errc::kIsDir && remote == target) {
    target += "/" + name;  // into the directory
    result = conn.put(local, target, progress_wanted(), options.resume, options.keep_times);
  }
  if (!result) {
    return result.error();
  }
  report_wire(conn, "put", target);
  return Outcome::kSent;
}

fs::path local_target(const std::string& remote, const std::string& local) {
  fs::path target = local.empty() ? fs::path(last_component(remote)) : fs::path(local);
  std::error_code ec;
  if (!local.empty() && fs::is_directory(target, ec)) {
    target /= last_component(remote);
  }
  return target;
}

namespace {

// An unchanged local copy of `remote` only takes the remote time (with
// keep_times), which costs nothing to send.
Result<Outcome> keep_unchanged(const fs::path& target, const protocol::Entry& entry,
                               const CopyOptions& options) {
  if (options.keep_times) {
    SFS_RETURN_IF_ERROR(set_local_mtime(target, static_cast<std::int64_t>(entry.mtime)));
  }
  std::fprintf(stderr,
               "sfs: get %s: unchanged (same size and digest), not fetched; --force "
               "fetches it anyway\n",
               target.c_str());
  return Outcome::kUnchanged;
}

}  // namespace

Result<Outcome> get_file(Connection& conn, const std::string& remote, const std::string& local,
                         const CopyOptions& options) {
  SFS_RETURN_IF_ERROR(check_remote_path(remote));
  const fs::path target = local_target(remote, local);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(target, ec)) || options.force) {
    // Nothing here to compare with: the time comes with the GET (a STAT in
    // the same write), so a new download costs no extra round trip.
    SFS_RETURN_IF_ERROR(conn.get(remote, target, progress_wanted(), options.resume, std::nullopt,
                                 options.keep_times));
    report_wire(conn, "get", remote);
    return Outcome::kSent;
  }
  // A local file is there: compare contents (STAT gives the size, digest
  // and time). When STAT fails, GET runs anyway and says why in its own words.
  auto entry = conn.stat(remote);
  if (!entry && (entry.error().code == Errc::kNetwork || entry.error().code == Errc::kProtocol)) {
    return entry.error();
  }
  std::optional<std::int64_t> mtime;
  if (entry && entry->type == 'f' && options.keep_times) {
    mtime = static_cast<std::int64_t>(entry->mtime);
  }
  if (entry) {
    SFS_ASSIGN_OR_RETURN(const bool same, same_content(conn, target, remote, *entry));
    if (same) {
      return keep_unchanged(target, *entry, options);
    }
  }
  SFS_RETURN_IF_ERROR(conn.get(remote, target, progress_wanted(), options.resume, mtime));
  report_wire(conn, "get", remote);
  return Outcome::kSent;
}

namespace {

// A reader on a terminal must not take the first bytes for the whole file:
// says so when there is more (a pipe gets the bytes only, as head -c).
void say_if_cut(Connection& conn, const std::string& remote, std::uint64_t shown) {
  auto entry = conn.stat(remote);
  if (entry && entry->size > shown) {
    std::fprintf(stderr, "sfs: showed the first %llu of %llu bytes (--bytes N shows more)\n",
                 static_cast<unsigned long long>(shown),
                 static_cast<unsigned long long>(entry->size));
  }
}

}  // namespace

Result<void> view_file(Connection& conn, const std::string& remote, std::uint64_t bytes,
                       std::FILE* out) {
  // On a terminal binary data becomes a hex dump (it could garble or drive
  // the terminal); anywhere else the bytes pass through untouched.
  const bool terminal = ::isatty(::fileno(out)) == 1;
  TerminalView shown;
  std::uint64_t received = 0;
  auto print = [out](const std::string& text) { std::fwrite(text.data(), 1, text.size(), out); };
  auto result = conn.view(remote, bytes, [&](const char* data, std::size_t n) {
    received += n;
    if (terminal) {
      print(shown.feed({data, n}));
    } else {
      std::fwrite(data, 1, n, out);
    }
  });
  if (terminal) {
    print(shown.finish());
  }
  std::fflush(out);
  // Only the default cut is news: who asked for --bytes N knows.
  if (result && terminal && received == bytes && bytes == protocol::kDefaultPreviewBytes) {
    say_if_cut(conn, remote, bytes);
  }
  return result;
}

Result<void> remove_file(Connection& conn, const std::string& remote) {
  SFS_RETURN_IF_ERROR(check_remote_path(remote));
  return conn.remove(remote);
}

Result<void> hash_file(Connection& conn, const std::string& remote, std::FILE* out, bool json) {
  SFS_RETURN_IF_ERROR(check_remote_path(remote));
  SFS_ASSIGN_OR_RETURN(auto digest, conn.hash(remote));
  if (json) {
    std::fprintf(out, "{\"path\":%s,\"digest\":\"%s\"}\n", json_string(remote).c_str(),
                 digest.c_str());
  } else {
    std::fprintf(out, "%s  %s\n", digest.c_str(), remote.c_str());
  }
  std::fflush(out);
  return {};
}

Result<void> verify_files(Connection& conn, std::FILE* out, bool json) {
  SFS_ASSIGN_OR_RETURN(auto statuses, conn.verify());
  std::size_t bad = 0;
  std::string problems;  // with json: the objects of the files not "ok"
  for (const protocol::FileStatus& s : statuses) {
    if (s.kind == protocol::FileStatus::Kind::kCorrupt ||
        s.kind == protocol::FileStatus::Kind::kUnreadable) {
      ++bad;
    }
    if (s.kind == protocol::FileStatus::Kind::kOk) {
      continue;
    }
    const std::string word(protocol::status_word(s.kind));
    if (json) {
      problems += std::string(problems.empty() ? "" : ",") + "{\"path\":" + json_string(s.name) +
                  ",\"status\":" + json_string(word) + "}";
    } else {
      std::fprintf(out, "%s: %s\n", word.c_str(), s.name.c_str());
    }
  }
  if (json) {
    std::fprintf(out, "{\"checked\":%zu,\"damaged\":%zu,\"files\":[%s]}\n", statuses.size(), bad,
                 problems.c_str());
  } else {
    std::fprintf(out, "%zu file(s) checked, %zu damaged or unreadable\n", statuses.size(), bad);
  }
  std::fflush(out);
  if (bad > 0) {
    return make_error(Errc::kIntegrity,
                      std::to_string(bad) + " stored file(s) failed verification");
  }
  return {};
}

int report(const Error& error) {
  std::fprintf(stderr, "sfs: %s\n", error.message.c_str());
  return exit_code_for(error.code);
}

}  // namespace sfs::client
