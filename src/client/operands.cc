#include "client/operands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "client/globs.h"
#include "client/remote_path.h"
#include "client/remove_tree.h"
#include "client/tree_progress.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// Which operands are sources, and which one (if any) is the target.
struct Split {
  std::vector<std::size_t> sources;
  std::optional<std::size_t> target;
};

// Whether operand `i` is a glob to expand: remote ones always, local ones
// only where no shell expanded them before sfs (the shell and batch mode).
bool expandable(const CommandContext& context, const Invocation& inv, std::size_t i, bool remote) {
  return !inv.glob(i).empty() && (remote || context.has_working_dir());
}

Split split_operands(const CommandContext& context, const Invocation& inv, OperandStyle style,
                     bool remote_sources) {
  const std::size_t n = inv.args.size();
  bool last_is_target = false;
  if (n >= 2) {
    last_is_target = style == OperandStyle::kAllSources
                         ? inv.args.back().ends_with('/')
                         : !expandable(context, inv, n - 1, remote_sources);
  }
  Split split;
  for (std::size_t i = 0; i < (last_is_target ? n - 1 : n); ++i) {
    split.sources.push_back(i);
  }
  if (last_is_target) {
    split.target = n - 1;
  }
  return split;
}

Result<std::vector<std::string>> local_sources(const CommandContext& context, const Invocation& inv,
                                               const Split& split) {
  std::vector<std::string> paths;
  for (const std::size_t i : split.sources) {
    if (!expandable(context, inv, i, false)) {
      paths.push_back(inv.args[i]);
      continue;
    }
    auto matches = expand_local(inv.glob(i));
    if (!matches && matches.error().code == Errc::kNotFound) {
      paths.push_back(inv.args[i]);  // as sh: a pattern that matches nothing is a name
      continue;
    }
    if (!matches) {
      return matches.error();
    }
    paths.insert(paths.end(), matches->begin(), matches->end());
  }
  return paths;
}

// The remote sources, normalized ("" is the top: the caller refuses it).
Result<std::vector<std::string>> remote_sources(const CommandContext& context,
                                                const Invocation& inv, const Split& split) {
  std::vector<std::string> paths;
  for (const std::size_t i : split.sources) {
    if (!expandable(context, inv, i, true)) {
      SFS_ASSIGN_OR_RETURN(auto path, resolve_remote(context.cwd, inv.args[i]));
      paths.push_back(std::move(path));
      continue;
    }
    auto matches = expand_remote(context.conn, context.cwd, inv.glob(i));
    if (!matches && matches.error().code == Errc::kNotFound) {
      // As sh: a pattern that matches nothing is a name ('report [1].pdf').
      SFS_ASSIGN_OR_RETURN(auto path, resolve_remote(context.cwd, inv.args[i]));
      paths.push_back(std::move(path));
      continue;
    }
    if (!matches) {
      return matches.error();
    }
    paths.insert(paths.end(), matches->begin(), matches->end());
  }
  return paths;
}

Result<void> refuse_top(const std::vector<std::string>& paths, Errc code, const char* message) {
  for (const std::string& path : paths) {
    if (path.empty()) {
      return make_error(code, message);
    }
  }
  return {};
}

// The name a local file or directory gets on the server.
Result<std::string> local_name(std::string path) {
  while (path.size() > 1 && path.ends_with('/')) {
    path.pop_back();
  }
  const std::string name = fs::path(path).lexically_normal().filename().string();
  if (name.empty() || name == "." || name == "..") {
    return make_error(Errc::kBadRequest, "cannot tell the remote name from '" + path + "'");
  }
  return name;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// Where the local `source` goes: into the working folder by its name, or to
// the typed target, or into it when it names a folder or there are several.
Result<std::string> remote_for(const CommandContext& context, const std::string& source,
                               const std::string* typed, bool several) {
  if (typed == nullptr) {
    SFS_ASSIGN_OR_RETURN(auto name, local_name(source));
    return join(context.cwd, name);
  }
  SFS_ASSIGN_OR_RETURN(auto target, resolve_remote(context.cwd, *typed));
  if (several || names_folder(*typed) || target.empty()) {
    SFS_ASSIGN_OR_RETURN(auto name, local_name(source));
    return join(target, name);
  }
  return target;
}

// The overwrite guard of `put SOURCE... TARGET` (see OperandStyle).
Result<void> check_put_target(const CommandContext& context,
                              const std::vector<std::string>& sources, const std::string& typed) {
  std::error_code ec;
  if (names_folder(typed) || !fs::is_regular_file(typed, ec)) {
    return {};
  }
  for (const std::string& source : sources) {
    if (fs::equivalent(source, typed, ec)) {
      return {};
    }
  }
  SFS_ASSIGN_OR_RETURN(auto remote, resolve_remote(context.cwd, typed));
  const std::string would = sources.size() == 1 ? "upload " + sources.front() + " as " + typed
                                                : "upload " + std::to_string(sources.size()) +
                                                      " files into a remote folder " + typed;
  return make_error(Errc::kBadRequest,
                    "put: " + typed + " is also a local file, so this would " + would +
                        " (did a glob such as *.txt match it?): use mput to upload each file "
                        "under its own name, or write the target as " +
                        display_remote(remote) + " to mean it");
}

// The local directory several sources (or a target ending in '/') go into,
// created if missing; nullopt when the target is one file's name.
Result<std::optional<std::string>> local_folder(const std::string* typed, bool several) {
  if (!several && (typed == nullptr || !typed->ends_with('/'))) {
    return std::optional<std::string>();
  }
  const std::string dir = typed == nullptr ? std::string(".") : *typed;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) {
    return make_error(Errc::kLocal, "not a local directory: " + dir);
  }
  return std::optional<std::string>(dir);
}

bool is_network(const Error& e) {
  return e.code == Errc::kNetwork || e.code == Errc::kProtocol || e.code == Errc::kAuth;
}

// The count of failures of several sources, as run_each ends.
Result<void> failures(const std::string& command, std::size_t failed, std::size_t count,
                      std::optional<Errc> first) {
  if (failed == 0) {
    return {};
  }
  return make_error(
      *first, command + ": " + std::to_string(failed) + " of " + std::to_string(count) + " failed");
}

// Runs `one` for each of `count` sources. One source: its result. Several:
// each failure is reported as it happens and the rest go on (a lost
// connection stops them); then the first failure's class and a count.
Result<void> run_each(const std::string& command, std::size_t count,
                      const std::function<Result<void>(std::size_t)>& one) {
  if (count == 1) {
    return one(0);
  }
  std::optional<Errc> first;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto result = one(i);
    if (result) {
      continue;
    }
    if (is_network(result.error())) {
      return result;
    }
    report(result.error());
    first = first.value_or(result.error().code);
    ++failed;
  }
  return failures(command, failed, count, first);
}

bool small_regular_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) <= Connection::kSmallFileBytes &&
         !ec;
}

// Several small files, none a folder, without --force, --json or
// compression: they go pipelined on the one connection (PUT ... now).
bool pipelines(const CommandContext& context, const std::vector<std::string>& sources,
               const TransferOptions& base) {
  if (sources.size() < 2 || base.recursive || base.force || base.json ||
      context.conn.compressing() || context.conn.takes_offers() == false) {
    return false;
  }
  return std::all_of(sources.begin(), sources.end(), small_regular_file);
}

// Makes each remote folder the targets go into, once (like put, and rclone).
// Returns the error of each folder that could not be made.
Result<std::map<std::string, Error>> make_parents(Connection& conn,
                                                  const std::vector<std::string>& targets) {
  std::map<std::string, Error> failed;
  std::set<std::string> made;
  for (const std::string& target : targets) {
    const std::size_t slash = target.rfind('/');
    if (slash == std::string::npos || !made.insert(target.substr(0, slash)).second) {
      continue;
    }
    if (auto ok = conn.make_dir(target.substr(0, slash), true); !ok) {
      if (is_network(ok.error())) {
        return ok.error();
      }
      failed.emplace(target.substr(0, slash), ok.error());
    }
  }
  return failed;
}

Result<void> put_pipelined(CommandContext& context, const std::vector<std::string>& sources,
                           const std::vector<std::string>& targets, const TransferOptions& base) {
  std::vector<Connection::PutJob> jobs;
  std::uint64_t bytes = 0;
  std::vector<std::uint64_t> sizes;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    jobs.push_back({sources[i], targets[i]});
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(sources[i], ec);
    sizes.push_back(ec ? 0 : size);
    bytes += sizes.back();
  }
  std::optional<Errc> first;
  std::size_t failed = 0;
  // One line for them all, as put -r draws, on a terminal.
  TreeProgress progress("put " + std::to_string(jobs.size()) + " files", jobs.size(), bytes);
  auto done = [&](std::size_t i, const Result<bool>& r) {
    progress.file_done(sizes[i]);
    if (!r) {
      report(r.error());
      first = first.value_or(r.error().code);
      ++failed;
    } else if (*r) {
      say_unchanged(jobs[i].remote);
    }
  };
  SFS_RETURN_IF_ERROR(put_small_files(context.conn, jobs, base, done));
  return failures("put", failed, sources.size(), first);
}

}  // namespace

Result<void> put_operands(CommandContext& context, const Invocation& inv, OperandStyle style,
                          const TransferOptions& base) {
  const Split split = split_operands(context, inv, style, false);
  SFS_ASSIGN_OR_RETURN(auto sources, local_sources(context, inv, split));
  const std::string* typed = split.target ? &inv.args[*split.target] : nullptr;
  if (typed != nullptr && style == OperandStyle::kLastIsTarget) {
    SFS_RETURN_IF_ERROR(check_put_target(context, sources, *typed));
  }
  std::vector<std::string> targets;
  for (const std::string& source : sources) {
    SFS_ASSIGN_OR_RETURN(auto target, remote_for(context, source, typed, sources.size() > 1));
    targets.push_back(std::move(target));
  }
  if (pipelines(context, sources, base)) {
    return put_pipelined(context, sources, targets, base);
  }
  return run_each("put", sources.size(), [&](std::size_t i) -> Result<void> {
    TransferOptions transfer = base;
    transfer.first = sources[i];
    transfer.second = targets[i];
    std::error_code ec;
    if (!transfer.recursive && fs::is_directory(transfer.first, ec)) {
      // A local problem (status 8), with the way to send it.
      return make_error(Errc::kLocal,
                        "is a directory: " + transfer.first + " (put -r uploads a folder)");
    }
    return put_command(context.conn, transfer, context.out);
  });
}

Result<void> get_operands(CommandContext& context, const Invocation& inv, OperandStyle style,
                          const TransferOptions& base) {
  const Split split = split_operands(context, inv, style, true);
  SFS_ASSIGN_OR_RETURN(auto sources, remote_sources(context, inv, split));
  SFS_RETURN_IF_ERROR(refuse_top(sources, Errc::kIsDir, "is a directory: /"));
  const std::string* typed = split.target ? &inv.args[*split.target] : nullptr;
  SFS_ASSIGN_OR_RETURN(auto into, local_folder(typed, sources.size() > 1));
  return run_each("get", sources.size(), [&](std::size_t i) -> Result<void> {
    TransferOptions transfer = base;
    transfer.first = sources[i];
    if (into && base.recursive) {
      transfer.second = (fs::path(*into) / last_component(sources[i])).string();
    } else {
      transfer.second = into ? *into : (typed != nullptr ? *typed : std::string());
    }
    Result<void> got = get_command(context.conn, transfer, context.out);
    if (!got && !transfer.recursive && got.error().code == Errc::kIsDir) {
      return make_error(Errc::kIsDir, got.error().message + " (get -r downloads a folder)");
    }
    return got;
  });
}

Result<void> put_small_files(Connection& conn, const std::vector<Connection::PutJob>& jobs,
                             const TransferOptions& base, const Connection::PutDone& done) {
  std::vector<std::string> targets;
  targets.reserve(jobs.size());
  for (const Connection::PutJob& job : jobs) {
    targets.push_back(job.remote);
  }
  SFS_ASSIGN_OR_RETURN(const auto bad_parents, make_parents(conn, targets));
  std::vector<Connection::PutJob> sent;
  std::vector<std::size_t> index_of;  // sent[k] is jobs[index_of[k]]
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const std::size_t slash = targets[i].rfind('/');
    const auto bad = slash == std::string::npos ? bad_parents.end()
                                                : bad_parents.find(targets[i].substr(0, slash));
    if (bad != bad_parents.end()) {
      done(i, bad->second);
      continue;
    }
    sent.push_back(jobs[i]);
    index_of.push_back(i);
  }
  return conn.put_many(sent, base.resume, base.keep_times,
                       [&](std::size_t k, const Result<bool>& r) { done(index_of[k], r); });
}

TransferOptions transfer_options(const CommandContext& context, const Invocation& inv) {
  TransferOptions transfer{"", "", inv.flag("--recursive") != nullptr, context.resume,
                           context.json};
  transfer.force = inv.flag("--force") != nullptr;
  transfer.keep_times = inv.flag("--no-times") == nullptr;
  return transfer;
}

std::optional<Connection::PutJob> pipelined_put(CommandContext& context, const Invocation& inv) {
  const TransferOptions base = transfer_options(context, inv);
  Connection& conn = context.conn;
  if (inv.args.empty() || inv.args.size() > 2 || base.recursive || base.force || base.json ||
      conn.compressing() || conn.takes_offers() == false) {
    return std::nullopt;
  }
  const Split split = split_operands(context, inv, OperandStyle::kLastIsTarget, false);
  auto sources = local_sources(context, inv, split);
  if (!sources || sources->size() != 1 || !small_regular_file(sources->front())) {
    return std::nullopt;
  }
  const std::string* typed = split.target ? &inv.args[*split.target] : nullptr;
  if (typed != nullptr && !check_put_target(context, *sources, *typed)) {
    return std::nullopt;
  }
  auto target = remote_for(context, sources->front(), typed, false);
  if (!target || !check_remote_path(*target)) {
    return std::nullopt;
  }
  return Connection::PutJob{sources->front(), *target};
}

std::optional<Connection::GetJob> pipelined_get(CommandContext& context, const Invocation& inv) {
  const TransferOptions base = transfer_options(context, inv);
  if (inv.args.empty() || inv.args.size() > 2 || base.recursive || base.force || base.json ||
      context.conn.compressing() || !inv.glob(0).empty()) {
    return std::nullopt;
  }
  auto remote = resolve_remote(context.cwd, inv.args[0]);
  if (!remote || remote->empty() || !check_remote_path(*remote)) {
    return std::nullopt;
  }
  const std::string typed = inv.arg_or(1, "");
  if (typed.ends_with('/')) {
    return std::nullopt;  // a folder to make first: the usual way
  }
  const fs::path local = local_target(*remote, typed);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(local, ec))) {
    return std::nullopt;  // a local file to compare with first: the usual way
  }
  Connection::GetJob job{*remote, local, std::nullopt};
  job.ask_time = base.keep_times;
  return job;
}

Result<void> remove_operands(CommandContext& context, const Invocation& inv, bool recursive) {
  Split all;
  for (std::size_t i = 0; i < inv.args.size(); ++i) {
    all.sources.push_back(i);
  }
  SFS_ASSIGN_OR_RETURN(auto paths, remote_sources(context, inv, all));
  SFS_RETURN_IF_ERROR(refuse_top(paths, Errc::kBadPath, "refusing to delete your top folder /"));
  RemoveCounts counts;
  auto result = run_each("rm", paths.size(), [&](std::size_t i) -> Result<void> {
    if (recursive) {
      return remove_tree(context.conn, paths[i], counts);
    }
    auto removed = remove_file(context.conn, paths[i]);
    if (!removed && removed.error().code == Errc::kIsDir) {
      return make_error(Errc::kIsDir, removed.error().message +
                                          " (rm -r deletes a folder with everything in it)");
    }
    return removed;
  });
  if (recursive && context.json) {
    std::fprintf(context.out, "{\"command\":\"rm\",\"files\":%llu,\"folders\":%llu,\"ok\":%s}\n",
                 static_cast<unsigned long long>(counts.files),
                 static_cast<unsigned long long>(counts.folders), result ? "true" : "false");
  } else if (recursive) {
    std::fprintf(context.out, "removed %llu file(s) and %llu folder(s)\n",
                 static_cast<unsigned long long>(counts.files),
                 static_cast<unsigned long long>(counts.folders));
  }
  return result;
}

}  // namespace sfs::client
