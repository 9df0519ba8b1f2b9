#pragma once
// The storage root: <root>/u/<user>/ holds each user's files (dirs 0700,
// files 0600).
//
//   auto store = Store::open("server_storage");   // creates it if missing
//   auto tree = store->user("alice");             // creates u/alice

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/digest_cache.h"
#include "storage/user_tree.h"

namespace sfs::storage {

class Store {
 public:
  // Creates the root and u/ when missing (mode 0700) and checks that the
  // server can write there. kIo with a clear message otherwise.
  static Result<Store> open(const std::filesystem::path& root);

  // The user's tree, created on first use. `name` must be a valid user name
  // (the auth module guarantees it; this re-checks it is one path component).
  // Trees of one user handed out at the same time share one directory
  // handle, so 10,000 sessions cost 10,000 descriptors, not 20,000.
  Result<UserTree> user(std::string_view name) const;

  // Removes temp files that a killed server left at the top of each user's
  // tree, and partial uploads untouched for `partial_ttl` (kept until then
  // so the upload can resume). Returns how many files it removed.
  std::size_t remove_stale_temps(std::chrono::seconds partial_ttl) const;

  // The store lives in memory (tmpfs, ramfs): no call on it waits for a
  // device, so a small file's work costs the CPU and nothing else.
  bool in_memory() const;

 private:
  explicit Store(UniqueFd users) : users_(std::move(users)) {}

  struct OpenTrees {
    std::mutex mutex;
    // One entry per user who has (or had) a session; bounded by the users.
    std::map<std::string, std::weak_ptr<const UniqueFd>, std::less<>> handles;
  };

  UniqueFd users_;  // <root>/u
  std::unique_ptr<OpenTrees> open_ = std::make_unique<OpenTrees>();
  // The digests listings read, for all users' trees (storage/digest_cache.h).
  std::unique_ptr<DigestCache> digests_ = std::make_unique<DigestCache>();
};

}  // namespace sfs::storage
