#include "client/menu_run.h"

#include <cstdio>
#include <filesystem>

#include "client/commands.h"
#include "client/operands.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// Calls `fn` with each folder above `path` ("a", "a/b" for "a/b/c").
template <typename Fn>
void for_each_folder(const std::string& path, Fn fn) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    fn(path.substr(0, slash));
  }
}

}  // namespace

std::optional<int> show_menu_result(const Command& command, const Result<void>& result) {
  if (command.menu.ends_line) {
    std::printf("\n");
  }
  if (result) {
    std::printf("Done.\n");
    return std::nullopt;
  }
  const int status = report(result.error());
  return is_connection_failure(result.error()) ? std::optional<int>(status) : std::nullopt;
}

bool MenuRun::conflicts_remote(const std::string& path) const {
  if (written_.contains(path) || above_.contains(path)) {
    return true;  // written already, or a folder of one written
  }
  bool inside = false;  // inside a name written already (a folder's, it may be)
  for_each_folder(path, [&](const std::string& folder) { inside |= written_.contains(folder); });
  return inside;
}

bool MenuRun::add(const Command& command, const Invocation& inv, std::string shown) {
  if (entries_.size() >= kMaxEntries) {
    return false;
  }
  if (command.name == "put" && (kind_ == Kind::kNone || kind_ == Kind::kPut)) {
    auto job = pipelined_put(context_, inv);
    if (!job || conflicts_remote(job->remote)) {
      return false;
    }
    written_.insert(job->remote);
    for_each_folder(job->remote, [&](const std::string& folder) { above_.insert(folder); });
    puts_.push_back(std::move(*job));
    kind_ = Kind::kPut;
  } else if (command.name == "get" && (kind_ == Kind::kNone || kind_ == Kind::kGet)) {
    auto job = pipelined_get(context_, inv);
    if (!job) {
      return false;
    }
    std::error_code ec;
    const std::string local = fs::absolute(job->local, ec).lexically_normal().string();
    if (ec || !written_.insert(local).second) {
      return false;
    }
    gets_.push_back(std::move(*job));
    kind_ = Kind::kGet;
  } else {
    return false;
  }
  entries_.push_back({&command, inv, std::move(shown)});
  return true;
}

std::optional<int> MenuRun::show_each(const std::function<Result<void>(std::size_t)>& result_of) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::fputs(entries_[i].shown.c_str(), stdout);
    std::fflush(stdout);
    if (auto status = show_menu_result(*entries_[i].command, result_of(i))) {
      return status;
    }
  }
  return std::nullopt;
}

std::optional<int> MenuRun::flush_puts() {
  std::vector<std::optional<Result<bool>>> results(puts_.size());
  const Result<void> sent =
      put_small_files(context_.conn, puts_, transfer_options(context_, entries_.front().inv),
                      [&](std::size_t i, const Result<bool>& r) { results[i] = r; });
  return show_each([&](std::size_t i) -> Result<void> {
    if (!results[i]) {  // never answered: the connection was lost
      return sent ? make_error(Errc::kNetwork, "connection lost") : sent.error();
    }
    const Result<bool>& r = *results[i];
    if (!r && r.error().code == Errc::kIsDir) {
      // A folder has the name: the usual put, which goes into it.
      return entries_[i].command->handler(context_, entries_[i].inv);
    }
    if (!r) {
      return r.error();
    }
    if (*r) {
      say_unchanged(puts_[i].remote);
    }
    return {};
  });
}

std::optional<int> MenuRun::flush_gets() {
  std::vector<std::optional<Result<void>>> results(gets_.size());
  const Result<void> got = context_.conn.get_many(
      gets_, context_.resume, [&](std::size_t i, const Result<void>& r) { results[i] = r; });
  return show_each([&](std::size_t i) -> Result<void> {
    if (!results[i]) {
      return got ? make_error(Errc::kNetwork, "connection lost") : got.error();
    }
    const Result<void>& r = *results[i];
    if (!r && r.error().code == Errc::kIsDir) {
      return make_error(Errc::kIsDir, r.error().message + " (get -r downloads a folder)");
    }
    return r;
  });
}

std::optional<int> MenuRun::flush() {
  std::optional<int> status;
  if (kind_ == Kind::kPut) {
    status = flush_puts();
  } else if (kind_ == Kind::kGet) {
    status = flush_gets();
  }
  kind_ = Kind::kNone;
  entries_.clear();
  puts_.clear();
  gets_.clear();
  written_.clear();
  above_.clear();
  return status;
}

}  // namespace sfs::client
