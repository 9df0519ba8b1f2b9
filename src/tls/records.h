#pragma once
// TLS 1.3 records after the handshake (RFC 8446 §5.2), sealed and opened by
// sfs instead of inside OpenSSL.
//
// Why: OpenSSL copies every byte it sends into its own record buffer before
// encrypting it there, and every byte it receives out of its buffer after
// decrypting it; tls::Stream then copied the sealed records once more to
// send several with one send(). Sealing straight from the caller's bytes
// into the send buffer, and opening straight from the receive buffer into
// the caller's, leaves the AEAD pass alone. With many transfers at once
// those copies miss the cache and were a tenth of the server's CPU
// (bench/notes.md, 2026-12-04). OpenSSL still does the whole handshake; only
// the application traffic keys it derived come here (through its key-log
// callback, never written anywhere), as they would go to the kernel for
// kTLS.
//
//   RecordCipher out;
//   out.init(suite, secret);                       // a traffic secret
//   std::size_t n = out.seal(kApplicationData, data, len, buffer);
//   RecordCipher in; ...
//   auto length = parse_record_header(buffer);     // the ciphertext's length
//   if (in.open(buffer, buffer + kRecordHeaderBytes, *length, plain)) ...

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"

namespace sfs::tls {

inline constexpr std::size_t kRecordHeaderBytes = 5;
inline constexpr std::size_t kTagBytes = 16;
// The most content one record carries, and the longest ciphertext a peer
// may send (RFC 8446 §5.2: 2^14 + 256).
inline constexpr std::size_t kMaxRecordContent = std::size_t{1} << 14;
inline constexpr std::size_t kMaxCiphertext = kMaxRecordContent + 256;
// What seal() writes for `n` bytes of content: header, content, its type,
// the tag.
inline constexpr std::size_t sealed_size(std::size_t n) {
  return kRecordHeaderBytes + n + 1 + kTagBytes;
}

// Content types (RFC 8446 §5.1).
inline constexpr std::uint8_t kAlert = 21;
inline constexpr std::uint8_t kHandshake = 22;
inline constexpr std::uint8_t kApplicationData = 23;

// The AEAD and hash of the negotiated TLS 1.3 suite.
struct Suite {
  const EVP_CIPHER* cipher = nullptr;
  const EVP_MD* hash = nullptr;
};
// The suite of a TLS 1.3 cipher suite's standard name
// ("TLS_AES_128_GCM_SHA256", ...); an empty Suite for any other.
Suite suite_named(const char* name);

// A traffic secret (up to SHA-384's 48 bytes).
struct Secret {
  std::array<std::uint8_t, 48> bytes{};
  std::size_t length = 0;
};

// HKDF-Expand-Label(secret, label, "", out.size()) of RFC 8446 §7.1.
bool expand_label(const EVP_MD* hash, std::span<const std::uint8_t> secret, const char* label,
                  std::span<std::uint8_t> out);

// One direction's key, IV and sequence number.
class RecordCipher {
 public:
  RecordCipher();
  ~RecordCipher();
  RecordCipher(const RecordCipher&) = delete;
  RecordCipher& operator=(const RecordCipher&) = delete;

  // Keys from a traffic secret, records numbered from `first_sequence` on
  // (past those OpenSSL sealed with it already). False when OpenSSL fails.
  bool init(const Suite& suite, const Secret& secret, std::uint64_t first_sequence = 0);
  // The next traffic secret (RFC 8446 §7.2), after a KeyUpdate.
  bool update();

  // Seals `n` (at most kMaxRecordContent) bytes of `type` into `out`, which
  // has room for sealed_size(n) bytes; returns that size. `data` and `out`
  // may not overlap.
  std::size_t seal(std::uint8_t type, const char* data, std::size_t n, char* out);
  // Opens the `length` bytes of ciphertext after `header` into `plain`
  // (length - kTagBytes bytes; may be `ciphertext` itself). False when it
  // is not authentic: nothing in `plain` may be used then.
  bool open(const char* header, const char* ciphertext, std::size_t length, char* plain);

  std::uint64_t sequence() const { return sequence_; }

 private:
  void nonce(std::array<std::uint8_t, 12>& out) const;

  EVP_CIPHER_CTX* ctx_;
  Suite suite_;
  Secret secret_;
  std::array<std::uint8_t, 12> iv_{};
  std::uint64_t sequence_ = 0;
};

// The ciphertext length a record header announces. Fails for anything but
// an application_data record of TLS 1.3's legacy version 0x0303 with
// kTagBytes + 1 to kMaxCiphertext bytes.
Result<std::size_t> parse_record_header(const char* header);

// What an opened record holds: its real content type and content length
// (the zero padding after the type stripped).
struct Inner {
  std::uint8_t type = 0;
  std::size_t length = 0;
};
Result<Inner> inner_content(const char* plain, std::size_t n);

// A handshake record after the handshake: whether it ends with a KeyUpdate
// (the next records use the next keys) and whether the peer asks for ours
// too; new session tickets are skipped. Each message must be whole within
// the record (OpenSSL never splits these short ones).
struct PostHandshake {
  bool key_update = false;
  bool update_requested = false;
};
Result<PostHandshake> parse_post_handshake(const char* data, std::size_t n);

}  // namespace sfs::tls
