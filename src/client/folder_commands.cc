// The client's folder commands (ls -l/-R, stat, mkdir, rmdir, mv) and the
// put/get front ends that choose between one file and a tree and print the
// --json summary.

#include <ctime>
#include <filesystem>

#include "client/commands.h"
#include "client/json.h"
#include "client/size_format.h"
#include "client/tree_transfer.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxListDepth = 64;
constexpr std::size_t kMaxListEntries = 1'000'000;

std::string format_time(std::uint64_t seconds, const char* format) {
  const auto mtime = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::localtime_r(&mtime, &tm);
  char text[64];
  (void)std::strftime(text, sizeof(text), format, &tm);  // sized for the format
  return text;
}

struct Listed {
  std::string path;  // the full remote path
  protocol::Entry entry;
};

// Lists `dir` (and below it with `recursive`) in name order, pre-order.
Result<void> collect(Connection& conn, const std::string& dir, bool recursive, int depth,
                     std::vector<Listed>& out) {
  SFS_ASSIGN_OR_RETURN(auto entries, conn.list(dir));
  for (protocol::Entry& e : entries) {
    SFS_RETURN_IF_ERROR(check_remote_name(e.name));
    if (out.size() >= kMaxListEntries) {
      return make_error(Errc::kTooLarge, "listing has too many entries");
    }
    const std::string path = dir.empty() ? e.name : dir + "/" + e.name;
    const bool descend = recursive && e.type == 'd' && depth < kMaxListDepth;
    out.push_back({path, std::move(e)});
    if (descend) {
      SFS_RETURN_IF_ERROR(collect(conn, path, true, depth + 1, out));
    }
  }
  return {};
}

// Whether a name is hidden from ls without -a: it or a folder above it
// (with -R) starts with '.', as ls and sftp hide them.
bool hidden(const std::string& path) {
  return path.starts_with('.') || path.find("/.") != std::string::npos;
}

// A folder's size says nothing (the server's 4096 is its disk block): "-".
std::string size_text(const protocol::Entry& e, bool human) {
  if (e.type == 'd') {
    return "-";
  }
  return human ? human_size(e.size) : std::to_string(e.size);
}

void print_entry(const Listed& item, const ListOptions& options, std::FILE* out) {
  const protocol::Entry& e = item.entry;
  const std::string when = format_time(e.mtime, "%Y-%m-%d %H:%M");
  const std::string& name = options.recursive ? item.path : e.name;
  const char* slash = e.type == 'd' ? "/" : "";
  const std::string size = size_text(e, options.human);
  if (options.long_format) {
    std::fprintf(out, "%c %12s  %s  %-32s  %s%s\n", e.type, size.c_str(), when.c_str(),
                 e.digest.empty() ? "-" : e.digest.c_str(), name.c_str(), slash);
  } else {
    std::fprintf(out, "%12s  %s  %s%s\n", size.c_str(), when.c_str(), name.c_str(), slash);
  }
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.ends_with('/')) {
    path.pop_back();
  }
  return path;
}

void print_summary(const TransferSummary& summary, std::FILE* out) {
  std::fprintf(out, "%s\n", summary_json(summary).c_str());
  std::fflush(out);
}

}  // namespace

Result<void> list_files(Connection& conn, const ListOptions& options, std::FILE* out) {
  const std::string dir = strip_trailing_slashes(options.path);
  if (!dir.empty()) {
    SFS_RETURN_IF_ERROR(check_remote_path(dir));
  }
  std::vector<Listed> items;
  auto listed = collect(conn, dir, options.recursive, 1, items);
  if (!listed && listed.error().code == Errc::kNotDir) {  // a file: list just it, like ls
    SFS_ASSIGN_OR_RETURN(auto entry, conn.stat(dir));
    entry.name = last_component(dir);
    items.push_back({dir, std::move(entry)});
  } else if (!listed) {
    return listed;
  }
  if (options.json) {
    std::fprintf(out, "[");
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::fprintf(out, "%s%s", i > 0 ? ",\n " : "",
                   entry_json(items[i].entry, items[i].path).c_str());
    }
    std::fprintf(out, "]\n");
  } else {
    for (const Listed& item : items) {
      if (options.all || item.path == dir ||
          !hidden(item.path.substr(dir.empty() ? 0 : dir.size() + 1))) {
        print_entry(item, options, out);
      }
    }
  }
  std::fflush(out);
  return {};
}

Result<void> stat_entry(Connection& conn, const std::string& remote, bool json, std::FILE* out) {
  const std::string path = strip_trailing_slashes(remote);
  SFS_RETURN_IF_ERROR(check_remote_path(path));
  SFS_ASSIGN_OR_RETURN(auto entry, conn.stat(path));
  if (json) {
    protocol::Entry named = entry;
    named.name = last_component(path);
    std::fprintf(out, "%s\n", entry_json(named, path).c_str());
  } else {
    std::fprintf(out, "path: %s\ntype: %s\nsize: %llu\nmodified: %s\nxxh128: %s\n", path.c_str(),
                 entry.type == 'd' ? "directory" : "file",
                 static_cast<unsigned long long>(entry.size),
                 format_time(entry.mtime, "%Y-%m-%d %H:%M:%S").c_str(),
                 entry.digest.empty() ? "-" : entry.digest.c_str());
  }
  std::fflush(out);
  return {};
}

Result<void> make_dir(Connection& conn, const std::string& remote, bool parents) {
  const std::string path = strip_trailing_slashes(remote);
  SFS_RETURN_IF_ERROR(check_remote_path(path));
  return conn.make_dir(path, parents);
}

Result<void> remove_dir(Connection& conn, const std::string& remote) {
  const std::string path = strip_trailing_slashes(remote);
  SFS_RETURN_IF_ERROR(check_remote_path(path));
  return conn.remove_dir(path);
}

Result<void> move_entry(Connection& conn, const std::string& from, const std::string& to) {
  const std::string source = strip_trailing_slashes(from);
  const std::string target = strip_trailing_slashes(to);
  for (const std::string* path : {&source, &target}) {
    SFS_RETURN_IF_ERROR(check_remote_path(*path));
  }
  SFS_ASSIGN_OR_RETURN(auto moved, conn.move(source, target));
  return {};
}

namespace {

// Counts one plain put or get in `summary`; `local` is the file it moved.
void record_one(TransferSummary& summary, const std::string& path, const Result<Outcome>& result,
                const fs::path& local) {
  if (!result) {
    summary.failed.push_back({path, result.error()});
    return;
  }
  if (*result == Outcome::kUnchanged) {
    summary.unchanged = 1;
    return;
  }
  std::error_code ec;
  const auto size = fs::file_size(local, ec);
  summary.files = 1;
  summary.bytes = ec ? 0 : size;
}

// The result of a plain put or get, without what it did.
Result<void> plain(const Result<Outcome>& outcome) {
  return outcome ? Result<void>() : Result<void>(outcome.error());
}

}  // namespace

Result<void> put_command(Connection& conn, const TransferOptions& options, std::FILE* out) {
  TransferSummary summary;
  summary.command = "put";
  Result<void> result;
  if (options.recursive) {
    const fs::path local = strip_trailing_slashes(options.first);
    const std::string remote =
        options.second.empty() ? local.filename().string() : strip_trailing_slashes(options.second);
    result = put_tree(conn, local, remote, options.copy(), summary);
    report_unchanged(summary.unchanged);
    const Result<void> failures = report_failures(summary);
    result = result ? failures : result;
  } else {
    const auto outcome = put_file(conn, options.first, options.second, options.copy());
    record_one(summary, options.first, outcome, options.first);
    result = plain(outcome);
  }
  if (options.json) {
    print_summary(summary, out);
  }
  return result;
}

Result<void> get_command(Connection& conn, const TransferOptions& options, std::FILE* out) {
  TransferSummary summary;
  summary.command = "get";
  Result<void> result;
  if (options.recursive) {
    const std::string remote = strip_trailing_slashes(options.first);
    const fs::path local =
        options.second.empty() ? fs::path(last_component(remote)) : fs::path(options.second);
    result = check_remote_path(remote);
    if (result) {
      result = get_tree(conn, remote, local, options.copy(), summary);
    }
    if (!result && result.error().code == Errc::kNotDir) {
      result = make_error(Errc::kNotDir, result.error().message + " (get -r takes a directory)");
    }
    report_unchanged(summary.unchanged);
    const Result<void> failures = report_failures(summary);
    result = result ? failures : result;
  } else {
    const auto outcome = get_file(conn, options.first, options.second, options.copy());
    record_one(summary, options.first, outcome, local_target(options.first, options.second));
    result = plain(outcome);
  }
  if (options.json) {
    print_summary(summary, out);
  }
  return result;
}

}  // namespace sfs::client
