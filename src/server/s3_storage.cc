#include "server/s3_storage.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "asio/asio.h"

namespace sfs::server {
namespace {

constexpr std::string_view kScheme = "s3://";
constexpr std::size_t kMaxCredentialsBytes = std::size_t{64} * 1024;

std::string trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return "";
  }
  const std::size_t last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

// One `name = value` line of a credentials file into `keys`.
void take_line(std::string_view line, S3Keys& keys) {
  const std::size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    return;
  }
  const std::string name = trimmed(line.substr(0, eq));
  const std::string value = trimmed(line.substr(eq + 1));
  if (name == "aws_access_key_id" && keys.access_key.empty()) {
    keys.access_key = value;
  } else if (name == "aws_secret_access_key" && keys.secret_key.empty()) {
    keys.secret_key = value;
  }
}

}  // namespace

bool is_s3_storage(const std::filesystem::path& storage) {
  return storage.native().starts_with(kScheme);
}

Result<S3Keys> read_s3_keys(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return make_error(Errc::kBadRequest, "cannot read the S3 credentials file " + file.string());
  }
  std::string text(kMaxCredentialsBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxCredentialsBytes) {
    return make_error(Errc::kBadRequest, "the S3 credentials file is larger than 64 KiB");
  }
  S3Keys keys;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string bare = trimmed(line);
    if (!bare.empty() && bare.front() != '#' && bare.front() != ';') {
      take_line(bare, keys);
    }
  }
  if (keys.access_key.empty() || keys.secret_key.empty()) {
    return make_error(Errc::kBadRequest, "the S3 credentials file " + file.string() +
                                             " lacks aws_access_key_id or aws_secret_access_key");
  }
  return keys;
}

Result<storage::s3::S3BackendSettings> s3_settings(const Config& config, const S3Keys& keys) {
  const std::string url = config.storage_dir.string();
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  storage::s3::S3BackendSettings out;
  out.s3.bucket = rest.substr(0, slash);
  out.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!out.prefix.empty() && out.prefix.back() == '/') {
    out.prefix.pop_back();  // s3://b/p/ is s3://b/p
  }
  if (out.s3.bucket.empty()) {
    return make_error(Errc::kBadRequest, "--storage s3:// needs a bucket: s3://BUCKET[/PREFIX]");
  }
  if (config.s3_endpoint.empty()) {
    return make_error(Errc::kBadRequest, "--storage s3://... needs --s3-endpoint URL");
  }
  if (keys.access_key.empty() || keys.secret_key.empty()) {
    return make_error(Errc::kBadRequest,
                      "no S3 keys: give --s3-credentials FILE or set AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY");
  }
  out.s3.endpoint = config.s3_endpoint;
  out.s3.region = config.s3_region;
  out.s3.access_key = keys.access_key;
  out.s3.secret_key = keys.secret_key;
  out.part_size = static_cast<std::size_t>(config.s3_part_size);
  asio::thread_pool probe_pool(1);  // checks the settings only; sends nothing
  auto made = storage::s3::S3Backend::create(out, probe_pool);
  probe_pool.join();
  if (!made) {
    return made.error();
  }
  return out;
}

Result<void> check_s3(const storage::s3::S3BackendSettings& settings) {
  asio::thread_pool pool(1);
  SFS_ASSIGN_OR_RETURN(auto backend, storage::s3::S3Backend::create(settings, pool));
  asio::io_context io;
  std::optional<Result<void>> checked;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        auto result = co_await backend->check();
        checked.emplace(std::move(result));
      },
      asio::detached);
  io.run();
  backend.reset();
  pool.join();
  if (!checked || !*checked) {
    const std::string why = checked ? checked->error().message : "no answer";
    return make_error(checked ? checked->error().code : Errc::kIo,
                      "S3 bucket '" + settings.s3.bucket + "' at " + settings.s3.endpoint +
                          " is not usable: " + why);
  }
  return {};
}

}  // namespace sfs::server
