#pragma once
// --storage s3://BUCKET[/PREFIX]: the settings of the S3 backend from the
// server's configuration and the keys, and the check at start that they
// work. The keys never appear in a message (nor anywhere in a log).
//
//   if (is_s3_storage(config.storage_dir)) {
//     SFS_ASSIGN_OR_RETURN(auto s3, s3_settings(config, keys));
//     SFS_RETURN_IF_ERROR(check_s3(s3));   // one line: why it cannot start
//   }

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "server/config.h"
#include "storage/s3/s3_backend.h"

namespace sfs::server {

struct S3Keys {
  std::string access_key;
  std::string secret_key;
};

bool is_s3_storage(const std::filesystem::path& storage);

// The keys of a credentials file: `aws_access_key_id = ...` and
// `aws_secret_access_key = ...` lines (~/.aws/credentials' form; the first
// of each counts, '#' and ';' start comments). kBadRequest when unreadable,
// larger than 64 KiB or without both.
Result<S3Keys> read_s3_keys(const std::filesystem::path& file);

// The backend's settings: bucket and prefix from `config.storage_dir`,
// endpoint and region from the config, `keys` as given. kBadRequest with a
// one-line reason (no endpoint, no bucket, no keys, a bad prefix).
Result<storage::s3::S3BackendSettings> s3_settings(const Config& config, const S3Keys& keys);

// The bucket exists and the keys may use it: one HEAD, awaited here.
// Errors say which (kAuth, kNotFound, kIo) in one line.
Result<void> check_s3(const storage::s3::S3BackendSettings& settings);

}  // namespace sfs::server
