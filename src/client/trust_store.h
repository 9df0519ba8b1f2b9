#pragma once
// known_servers: server fingerprints pinned on first use, like ssh's
// known_hosts. One line per server: "host:port FINGERPRINT".
//
//   TrustStore store(TrustStore::default_path());
//   switch (store.check("127.0.0.1:9001", fp)) { ... }
//   store.add("127.0.0.1:9001", fp);

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace sfs::client {

class TrustStore {
 public:
  enum class Verdict { kKnown, kUnknown, kChanged };

  explicit TrustStore(std::filesystem::path file) : file_(std::move(file)) {}

  // $XDG_CONFIG_HOME/sfs/known_servers, else ~/.config/sfs/known_servers.
  static std::filesystem::path default_path();

  // Where a server's pin is: its fingerprint and its line in the file
  // (from 1), for messages that point the user at it, as ssh's "Offending
  // key in ~/.ssh/known_hosts:3".
  struct Pin {
    std::string fingerprint;
    std::size_t line = 0;
  };

  const std::filesystem::path& file() const { return file_; }
  // The pin of `server` (exactly that "host:port" string: "localhost:9001"
  // and "127.0.0.1:9001" are two servers), or nullopt.
  std::optional<Pin> find(const std::string& server) const;
  // The pinned fingerprint of `server`, or empty.
  std::string lookup(const std::string& server) const;
  // file() as it may be shown: "~/..." when it lies in $HOME.
  std::string shown_file() const;
  Verdict check(const std::string& server, const std::string& fingerprint) const;
  // Appends a pin, creating the directory (0700) and file (0600).
  Result<void> add(const std::string& server, const std::string& fingerprint) const;
  // Removes the pins of `server` ("host:port"), or with a bare host ("host",
  // "[::1]") those of every port of it; returns how many. The file is
  // rewritten whole (a new file renamed over it, 0600). kLocal when it
  // cannot be read or written.
  Result<std::size_t> forget(const std::string& server) const;
  // Every pin, as its lines ("host:port FINGERPRINT"); empty without a file.
  std::vector<std::string> lines() const;

 private:
  std::filesystem::path file_;
};

}  // namespace sfs::client
