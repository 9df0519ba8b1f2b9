// Fuzzes the auth file parser (trusted input, but a typo must give an
// error, never a crash).

#include <cstdint>
#include <string_view>

#include "auth/auth_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sfs::auth::AuthFile::parse(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "fuzz");
  return 0;
}
