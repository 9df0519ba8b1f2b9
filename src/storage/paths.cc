#include "storage/paths.h"

#include <algorithm>

namespace sfs::storage {

std::pair<std::string, std::string> split_parent(std::string_view relative) {
  const std::size_t slash = relative.rfind('/');
  if (slash == std::string_view::npos) {
    return {".", std::string(relative)};
  }
  return {std::string(relative.substr(0, slash)), std::string(relative.substr(slash + 1))};
}

Result<void> check_relative(std::string_view relative) {
  if (relative.empty() || relative.front() == '/' ||
      relative.find('\0') != std::string_view::npos) {
    return make_error(Errc::kBadPath, "invalid path");
  }
  std::size_t start = 0;
  while (start <= relative.size()) {
    const std::size_t slash = std::min(relative.find('/', start), relative.size());
    const std::string_view name = relative.substr(start, slash - start);
    if (name.empty() || name == "." || name == ".." || name.starts_with(".sfs-")) {
      return make_error(Errc::kBadPath, "invalid path");
    }
    start = slash + 1;
  }
  return {};
}

}  // namespace sfs::storage
