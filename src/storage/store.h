#pragma once
// The storage root: <root>/u/<user>/ holds each user's files (dirs 0700,
// files 0600).
//
//   auto store = Store::open("server_storage");   // creates it if missing
//   auto tree = store->user("alice");             // creates u/alice

#include <chrono>
#include <filesystem>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/user_tree.h"

namespace sfs::storage {

class Store {
 public:
  // Creates the root and u/ when missing (mode 0700) and checks that the
  // server can write there. kIo with a clear message otherwise.
  static Result<Store> open(const std::filesystem::path& root);

  // The user's tree, created on first use. `name` must be a valid user name
  // (the auth module guarantees it; this re-checks it is one path component).
  Result<UserTree> user(std::string_view name) const;

  // Removes temp files that a killed server left at the top of each user's
  // tree, and partial uploads untouched for `partial_ttl` (kept until then
  // so the upload can resume). Returns how many files it removed.
  std::size_t remove_stale_temps(std::chrono::seconds partial_ttl) const;

 private:
  explicit Store(UniqueFd users) : users_(std::move(users)) {}

  UniqueFd users_;  // <root>/u
};

}  // namespace sfs::storage
