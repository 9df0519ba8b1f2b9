// Fuzzes the tus headers (dav/tus.h): Upload-Length/Offset, Upload-Metadata
// and the path its filename and folder make. The input is split at the
// first NUL: the metadata (or number) before, a second value after.

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "dav/tus.h"

namespace {

void check_number(std::string_view text) {
  auto n = sfs::tus::parse_number(text);
  if (n && (text.empty() || text.size() > 19 ||
            text.find_first_not_of("0123456789") != std::string_view::npos)) {
    std::abort();
  }
}

void check_metadata(std::string_view text) {
  auto metadata = sfs::tus::parse_metadata(text);
  if (!metadata) {
    return;
  }
  std::set<std::string> keys;
  std::size_t bytes = 0;
  for (const auto& [key, value] : *metadata) {
    if (key.empty() || !keys.insert(key).second || key.find_first_of(" ,\t") != std::string::npos) {
      std::abort();
    }
    bytes += value.size();
  }
  if (metadata->size() > sfs::tus::kMaxMetadataPairs || bytes > sfs::tus::kMaxMetadataValueBytes) {
    std::abort();
  }
}

// A path that parses stays beneath the root: no empty, "." or ".."
// component, nothing of the server's, within the limit.
void check_path(std::string_view folder, std::string_view name) {
  constexpr std::size_t kMax = 200;
  auto path = sfs::tus::target_path(folder, name, kMax);
  if (!path) {
    return;
  }
  if (path->empty() || path->size() > kMax || path->front() == '/' || path->back() == '/') {
    std::abort();
  }
  for (std::string_view rest = *path; !rest.empty();) {
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == ".." || part.starts_with(".sfs-") ||
        part.find('\0') != std::string_view::npos) {
      std::abort();
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view first = input.substr(0, nul);
  const std::string_view second =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  check_number(first);
  check_metadata(first);
  check_path(first, second);
  (void)sfs::tus::is_patch_type(first);
  if (sfs::tus::is_upload_id(first) && first.size() != sfs::tus::kIdHexLength) {
    std::abort();
  }
  return 0;
}
