// Fuzzes the --db URL's reading (pg::parse_conninfo: libpq's parser, then
// sfs's checks, name and quoting). Trusted input, but a typo must give an
// error, never a crash, and what it builds must read back as the same
// settings.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pg/database.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  if (url.find('\0') != std::string_view::npos) {
    return 0;  // a C string's end: libpq cannot see past it
  }
  auto parsed = sfs::pg::parse_conninfo(url, {});
  if (parsed) {
    // The quoting must keep every value whole: parsing the result again
    // gives the same settings.
    auto again = sfs::pg::parse_conninfo(parsed->conninfo, {});
    if (!again || again->conninfo != parsed->conninfo) {
      std::abort();
    }
  }
  return 0;
}
