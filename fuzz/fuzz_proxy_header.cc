// Fuzzes the PROXY protocol header parser: the whole input at once, and as
// a reader takes it (the first bytes, then exactly what `more` asks for),
// which must agree, never ask past the limit, and never claim more bytes
// than it was given.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "protocol/proxy_header.h"

namespace {

using sfs::protocol::kMaxProxyHeaderBytes;
using sfs::protocol::kProxyHeaderFirstBytes;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  auto whole = sfs::protocol::parse_proxy_header(in);
  if (whole && whole->more == 0) {
    check(whole->length > 0 && whole->length <= size && whole->length <= kMaxProxyHeaderBytes);
    (void)sfs::protocol::proxy_source_text(whole->header);
  }
  std::size_t have = size < kProxyHeaderFirstBytes ? size : kProxyHeaderFirstBytes;
  for (;;) {
    auto step = sfs::protocol::parse_proxy_header(in.first(have));
    if (!step) {
      return 0;
    }
    if (step->more == 0) {
      check(step->length == have);  // a reader takes exactly the header
      check(whole && whole->more == 0 && whole->length == have);
      check(proxy_source_text(step->header) == proxy_source_text(whole->header));
      return 0;
    }
    check(have + step->more <= kMaxProxyHeaderBytes);
    if (have + step->more > size) {
      return 0;
    }
    have += step->more;
  }
}
