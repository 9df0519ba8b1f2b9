#include "client/remote_path.h"

#include <vector>

namespace sfs::client {

Result<std::string> resolve_remote(std::string_view cwd, std::string_view path) {
  std::vector<std::string_view> parts;
  auto add_components = [&parts](std::string_view text) -> bool {
    while (!text.empty()) {
      const std::size_t slash = text.find('/');
      const std::string_view part = text.substr(0, slash);
      text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
      if (part.empty() || part == ".") {
        continue;
      }
      if (part == "..") {
        if (parts.empty()) {
          return false;
        }
        parts.pop_back();
      } else {
        parts.push_back(part);
      }
    }
    return true;
  };
  if (path.empty() || path.front() != '/') {
    if (!add_components(cwd)) {
      return make_error(Errc::kBadPath, "'..' leads above your top directory");
    }
  }
  if (!add_components(path)) {
    return make_error(Errc::kBadPath, "'..' leads above your top directory: " + std::string(path));
  }
  std::string joined;
  for (const std::string_view part : parts) {
    if (!joined.empty()) {
      joined.push_back('/');
    }
    joined.append(part);
  }
  return joined;
}

bool names_folder(std::string_view typed) {
  const std::size_t slash = typed.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? typed : typed.substr(slash + 1);
  return last.empty() || last == "." || last == "..";
}

std::string display_remote(std::string_view dir) { return "/" + std::string(dir); }

std::string_view dir_part(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
}

}  // namespace sfs::client
