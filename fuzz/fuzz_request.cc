// Fuzzes the parser of client requests (the server's first contact with
// untrusted bytes), with percent-decoding and path rules inside it.
// Whatever parses must serialize back to a line that parses the same. A
// PUT ... now that parses announces its size as the data to read through.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "protocol/request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto announced = sfs::protocol::announced_data(line);
  auto request = sfs::protocol::parse_request(line);
  if (!request) {
    return 0;
  }
  const auto* put = std::get_if<sfs::protocol::Put>(&*request);
  if ((put != nullptr && put->now) != announced.has_value() ||
      (announced && *announced != put->size)) {
    std::abort();  // the server would read another amount of data than the PUT says
  }
  const std::string again = sfs::protocol::serialize_request(*request);
  auto reparsed = sfs::protocol::parse_request(std::string_view(again).substr(0, again.size() - 1));
  if (!reparsed || sfs::protocol::serialize_request(*reparsed) != again) {
    std::abort();  // a round trip that changes the request is a bug
  }
  return 0;
}
