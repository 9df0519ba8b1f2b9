// Fuzzes what sfs reads of a peer's TLS 1.3 records after the handshake
// (tls/records.h): the input is taken as received bytes, record by record,
// and each record's body also as an opened record (its padding and type)
// and as post-handshake messages; a fixed key makes the opening itself fail
// for nearly every input, so the parsers are fed directly as well.

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tls/records.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sfs::tls;
  static RecordCipher* const reader = [] {
    auto* cipher = new RecordCipher;
    Secret secret;
    secret.bytes.fill(0x5a);
    secret.length = 32;
    if (!cipher->init(suite_named("TLS_AES_128_GCM_SHA256"), secret)) {
      std::abort();
    }
    return cipher;
  }();
  const auto* bytes = reinterpret_cast<const char*>(data);
  std::vector<char> plain(kMaxCiphertext);
  std::size_t at = 0;
  while (size - at >= kRecordHeaderBytes) {
    auto length = parse_record_header(bytes + at);
    if (!length) {
      break;
    }
    if (*length > kMaxCiphertext || *length <= kTagBytes) {
      std::abort();  // the header's checks let no such length through
    }
    const std::size_t body = at + kRecordHeaderBytes;
    if (size - body < *length) {
      break;
    }
    (void)reader->open(bytes + at, bytes + body, *length, plain.data());
    auto inner = inner_content(bytes + body, *length);
    if (inner && inner->length >= *length) {
      std::abort();
    }
    (void)parse_post_handshake(bytes + body, *length);
    at = body + *length;
  }
  return 0;
}
