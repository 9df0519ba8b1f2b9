#include "storage/links.h"

#include <unistd.h>

#include <string>

namespace sfs::storage {

bool has_other_links(const struct stat& st) { return S_ISREG(st.st_mode) && st.st_nlink > 1; }

Result<void> check_single_link(const struct stat& st, std::string_view shown) {
  if (has_other_links(st)) {
    return make_error(Errc::kBadPath,
                      "path refused (file has other hard links): " + std::string(shown));
  }
  return {};
}

bool is_own_single_file(const struct stat& st) {
  return S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && st.st_nlink == 1;
}

}  // namespace sfs::storage
