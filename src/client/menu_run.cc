#include "client/menu_run.h"

#include <cstdio>
#include <filesystem>

#include "client/commands.h"
#include "client/operands.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

bool is_lost(const Error& e) { return e.code == Errc::kNetwork || e.code == Errc::kProtocol; }

}  // namespace

bool MenuRun::conflicts_remote(const std::string& path) const {
  if (written_.contains(path) || above_.contains(path)) {
    return true;  // written already, or a folder of one written
  }
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (written_.contains(path.substr(0, slash))) {
      return true;  // inside a name written already (a folder's, it may be)
    }
  }
  return false;
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
    for (std::size_t slash = job->remote.find('/'); slash != std::string::npos;
         slash = job->remote.find('/', slash + 1)) {
      above_.insert(job->remote.substr(0, slash));
    }
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

std::optional<int> MenuRun::show(std::size_t i, const Result<void>& result) {
  if (entries_[i].command->menu.ends_line) {
    std::printf("\n");
  }
  if (result) {
    std::printf("Done.\n");
    return std::nullopt;
  }
  const int status = report(result.error());
  return is_lost(result.error()) ? std::optional<int>(status) : std::nullopt;
}

std::optional<int> MenuRun::flush_puts() {
  std::vector<std::optional<Result<bool>>> results(puts_.size());
  const Result<void> sent =
      put_small_files(context_.conn, puts_, transfer_options(context_, entries_.front().inv),
                      [&](std::size_t i, const Result<bool>& r) { results[i] = r; });
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::fputs(entries_[i].shown.c_str(), stdout);
    std::fflush(stdout);
    Result<void> result;
    if (!results[i]) {  // never answered: the connection was lost
      result = sent ? make_error(Errc::kNetwork, "connection lost") : sent.error();
    } else if (const Result<bool>& r = *results[i]; !r && r.error().code == Errc::kIsDir) {
      // A folder has the name: the usual put, which goes into it.
      result = entries_[i].command->handler(context_, entries_[i].inv);
    } else if (!r) {
      result = r.error();
    } else if (*r) {
      say_unchanged(puts_[i].remote);
    }
    if (auto status = show(i, result)) {
      return status;
    }
  }
  return std::nullopt;
}

std::optional<int> MenuRun::flush_gets() {
  std::vector<std::optional<Result<void>>> results(gets_.size());
  const Result<void> got = context_.conn.get_many(
      gets_, context_.resume, [&](std::size_t i, const Result<void>& r) { results[i] = r; });
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::fputs(entries_[i].shown.c_str(), stdout);
    std::fflush(stdout);
    Result<void> result;
    if (!results[i]) {
      result = got ? make_error(Errc::kNetwork, "connection lost") : got.error();
    } else if (const Result<void>& r = *results[i]; !r && r.error().code == Errc::kIsDir) {
      result = make_error(Errc::kIsDir, r.error().message + " (get -r downloads a folder)");
    } else {
      result = r;
    }
    if (auto status = show(i, result)) {
      return status;
    }
  }
  return std::nullopt;
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
