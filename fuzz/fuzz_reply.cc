// Fuzzes the parsers the client runs on the server's lines: replies,
// listing entries, STAT replies, VERIFY statuses, digest trailers, FROM
// lines, greetings, DELAY notices.

#include <cstdint>
#include <string_view>

#include "protocol/reply.h"
#include "protocol/request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (auto reply = sfs::protocol::parse_reply(line); reply) {
    (void)sfs::protocol::parse_stat_reply(*reply);
  }
  (void)sfs::protocol::parse_entry(line);
  (void)sfs::protocol::parse_file_status(line);
  (void)sfs::protocol::parse_digest_line(line);
  (void)sfs::protocol::parse_from_line(line);
  (void)sfs::protocol::parse_greeting(line);
  (void)sfs::protocol::parse_delay_line(line);
  return 0;
}
