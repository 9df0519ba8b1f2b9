// Fuzzes LOCK bodies, and the Timeout and Lock-Token header parsers with the
// same bytes. An owner that parses must come back inside a LOCK reply that
// parses.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dav/lock.h"
#include "dav/multistatus.h"
#include "dav/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto timeout = sfs::dav::parse_timeout(bytes);
  if (timeout.count() < 1 || timeout > sfs::dav::kMaxLockTimeout) {
    std::abort();
  }
  auto token = sfs::dav::parse_lock_token_header(bytes);
  if (token && !sfs::dav::is_lock_token(*token)) {
    std::abort();
  }
  auto lock = sfs::dav::parse_lock(bytes);
  if (!lock) {
    return 0;
  }
  sfs::dav::ActiveLock active{.scope = lock->scope,
                              .owner_xml = lock->owner_xml,
                              .timeout = timeout,
                              .token = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                              .root = "/dav/x"};
  auto again = sfs::dav::parse_xml(sfs::dav::lock_response_body(active));
  if (!again && again.error().code != sfs::Errc::kTooLarge) {
    std::abort();
  }
  return 0;
}
