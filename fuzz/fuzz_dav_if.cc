// Fuzzes the If header parser and its evaluation against a fixed resource
// state. Parsing is bounded (kMaxIfConditions); every token it reports must
// be in the header.

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "dav/if_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  auto header = sfs::dav::parse_if_header(value);
  if (!header) {
    return 0;
  }
  const auto tokens = sfs::dav::submitted_tokens(*header);
  if (tokens.size() > sfs::dav::kMaxIfConditions) {
    std::abort();
  }
  for (const auto& t : tokens) {
    if (t.empty() || value.find(t) == std::string_view::npos) {
      std::abort();
    }
  }
  (void)sfs::dav::if_header_holds(
      *header, [](std::string_view resource) -> std::optional<sfs::dav::ResourceState> {
        if (resource.empty()) {
          return sfs::dav::ResourceState{"\"e\"",
                                         {"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"}};
        }
        return std::nullopt;
      });
  return 0;
}
