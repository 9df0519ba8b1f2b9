// Fuzzes PROPPATCH bodies. A value kept from a set must come back as XML
// that parses inside a 207 (the multistatus writer's output), since a later
// PROPFIND gives it back to the client as it was stored.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dav/multistatus.h"
#include "dav/proppatch.h"
#include "dav/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto ops = sfs::dav::parse_proppatch(body);
  if (!ops) {
    return 0;
  }
  sfs::dav::MultistatusWriter writer;
  sfs::dav::Response response{.href = "/dav/f"};
  sfs::dav::PropStat ok{.status = 200};
  for (const auto& op : *ops) {
    auto value = sfs::dav::raw_prop(op.name.ns, op.name.name, op.value_xml);
    value.lang = op.lang;
    ok.props.push_back(value);
  }
  response.propstats.push_back(ok);
  writer.add(response);
  const std::string out = writer.finish();
  // The limits of the reader may refuse a large echo, never a malformed one.
  auto again = sfs::dav::parse_xml(out);
  if (!again && again.error().code != sfs::Errc::kTooLarge) {
    std::abort();
  }
  return 0;
}
