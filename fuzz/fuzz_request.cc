// Fuzzes the parser of client requests (the server's first contact with
// untrusted bytes), with percent-decoding and path rules inside it.
// Whatever parses must serialize back to a line that parses the same.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto request = sfs::protocol::parse_request(line);
  if (!request) {
    return 0;
  }
  const std::string again = sfs::protocol::serialize_request(*request);
  auto reparsed = sfs::protocol::parse_request(std::string_view(again).substr(0, again.size() - 1));
  if (!reparsed || sfs::protocol::serialize_request(*reparsed) != again) {
    std::abort();  // a round trip that changes the request is a bug
  }
  return 0;
}
