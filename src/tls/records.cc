#include "tls/records.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sfs::tls {
namespace {

// Handshake message types (RFC 8446 §4).
constexpr std::uint8_t kNewSessionTicket = 4;
constexpr std::uint8_t kKeyUpdate = 24;

std::uint8_t byte_at(const char* p, std::size_t i) { return static_cast<std::uint8_t>(p[i]); }

}  // namespace

Suite suite_named(const char* name) {
  if (name == nullptr) {
    return {};
  }
  const std::string_view n(name);
  if (n == "TLS_AES_128_GCM_SHA256") {
    return {EVP_aes_128_gcm(), EVP_sha256()};
  }
  if (n == "TLS_AES_256_GCM_SHA384") {
    return {EVP_aes_256_gcm(), EVP_sha384()};
  }
  if (n == "TLS_CHACHA20_POLY1305_SHA256") {
    return {EVP_chacha20_poly1305(), EVP_sha256()};
  }
  return {};
}

bool expand_label(const EVP_MD* hash, std::span<const std::uint8_t> secret, const char* label,
                  std::span<std::uint8_t> out) {
  // struct { uint16 length; opaque label<7..255> = "tls13 " + label;
  //          opaque context<0..255> = ""; } HkdfLabel;
  const std::string full = std::string("tls13 ") + label;
  std::vector<std::uint8_t> info;
  info.push_back(static_cast<std::uint8_t>(out.size() >> 8));
  info.push_back(static_cast<std::uint8_t>(out.size() & 0xff));
  info.push_back(static_cast<std::uint8_t>(full.size()));
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(0);

  // Fetched once for the process (a fetch looks the name up in OpenSSL's
  // provider tables); never freed, as OpenSSL's own objects are not.
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  EVP_KDF_CTX* ctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
  if (ctx == nullptr) {
    return false;
  }
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest = EVP_MD_get0_name(hash);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

RecordCipher::RecordCipher() : ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_ == nullptr) {
    std::abort();  // out of memory
  }
}

RecordCipher::~RecordCipher() {
  EVP_CIPHER_CTX_free(ctx_);
  OPENSSL_cleanse(secret_.bytes.data(), secret_.bytes.size());
  OPENSSL_cleanse(iv_.data(), iv_.size());
}

bool RecordCipher::init(const Suite& suite, const Secret& secret, std::uint64_t first_sequence) {
  if (suite.cipher == nullptr || secret.length == 0 ||
      secret.length != static_cast<std::size_t>(EVP_MD_get_size(suite.hash))) {
    return false;
  }
  suite_ = suite;
  secret_ = secret;
  std::array<std::uint8_t, 32> key{};
  const auto key_bytes = static_cast<std::size_t>(EVP_CIPHER_get_key_length(suite.cipher));
  const std::span<const std::uint8_t> s(secret_.bytes.data(), secret_.length);
  const bool ok = key_bytes <= key.size() &&
                  expand_label(suite.hash, s, "key", std::span(key.data(), key_bytes)) &&
                  expand_label(suite.hash, s, "iv", iv_) &&
                  EVP_CipherInit_ex(ctx_, suite.cipher, nullptr, key.data(), nullptr, -1) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  sequence_ = first_sequence;
  return ok;
}

bool RecordCipher::update() {
  Secret next;
  next.length = secret_.length;
  if (!expand_label(suite_.hash, std::span(secret_.bytes.data(), secret_.length), "traffic upd",
                    std::span(next.bytes.data(), next.length))) {
    return false;
  }
  const bool ok = init(suite_, next);
  OPENSSL_cleanse(next.bytes.data(), next.bytes.size());
  return ok;
}

void RecordCipher::nonce(std::array<std::uint8_t, 12>& out) const {
  out = iv_;
  for (std::size_t i = 0; i < 8; ++i) {
    out[out.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence_ >> (8 * i));
  }
}

std::size_t RecordCipher::seal(std::uint8_t type, const char* data, std::size_t n, char* out) {
  const std::size_t length = n + 1 + kTagBytes;
  auto* header = reinterpret_cast<unsigned char*>(out);
  header[0] = kApplicationData;
  header[1] = 0x03;
  header[2] = 0x03;
  header[3] = static_cast<unsigned char>(length >> 8);
  header[4] = static_cast<unsigned char>(length & 0xff);
  unsigned char* body = header + kRecordHeaderBytes;
  std::array<std::uint8_t, 12> iv{};
  nonce(iv);
  int done = 0;
  // With a key and IV from init() these cannot fail short of a broken
  // OpenSSL; a record sealed wrong would be refused by the peer anyway.
  if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx_, nullptr, &done, header, kRecordHeaderBytes) != 1 ||
      (n > 0 && EVP_EncryptUpdate(ctx_, body, &done, reinterpret_cast<const unsigned char*>(data),
                                  static_cast<int>(n)) != 1) ||
      EVP_EncryptUpdate(ctx_, body + n, &done, &type, 1) != 1 ||
      EVP_EncryptFinal_ex(ctx_, body + n + 1, &done) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kTagBytes, body + n + 1) != 1) {
    std::abort();
  }
  ++sequence_;
  return kRecordHeaderBytes + length;
}

bool RecordCipher::open(const char* header, const char* ciphertext, std::size_t length,
                        char* plain) {
  if (length <= kTagBytes || length > kMaxCiphertext) {
    return false;
  }
  const std::size_t n = length - kTagBytes;
  std::array<std::uint8_t, kTagBytes> tag{};
  std::memcpy(tag.data(), ciphertext + n, kTagBytes);  // `plain` may overwrite it
  std::array<std::uint8_t, 12> iv{};
  nonce(iv);
  int done = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain);
  const bool ok =
      EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) == 1 &&
      EVP_DecryptUpdate(ctx_, nullptr, &done, reinterpret_cast<const unsigned char*>(header),
                        kRecordHeaderBytes) == 1 &&
      EVP_DecryptUpdate(ctx_, out, &done, reinterpret_cast<const unsigned char*>(ciphertext),
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx_, out + n, &done) == 1;
  if (ok) {
    ++sequence_;
  }
  return ok;
}

Result<std::size_t> parse_record_header(const char* header) {
  if (byte_at(header, 0) != kApplicationData) {
    return make_error(Errc::kProtocol, "TLS record of an unexpected type after the handshake");
  }
  if (byte_at(header, 1) != 0x03 || byte_at(header, 2) != 0x03) {
    return make_error(Errc::kProtocol, "TLS record of an unexpected version");
  }
  const std::size_t length = (std::size_t{byte_at(header, 3)} << 8) | byte_at(header, 4);
  if (length <= kTagBytes || length > kMaxCiphertext) {
    return make_error(Errc::kProtocol, "TLS record of a bad length");
  }
  return length;
}

Result<Inner> inner_content(const char* plain, std::size_t n) {
  while (n > 0 && plain[n - 1] == 0) {
    --n;  // padding
  }
  if (n == 0) {
    return make_error(Errc::kProtocol, "TLS record without a content type");
  }
  const Inner inner{byte_at(plain, n - 1), n - 1};
  if (inner.length > kMaxRecordContent) {
    return make_error(Errc::kProtocol, "TLS record overflow");
  }
  return inner;
}

Result<PostHandshake> parse_post_handshake(const char* data, std::size_t n) {
  PostHandshake seen;
  std::size_t at = 0;
  while (at < n) {
    if (n - at < 4) {
      return make_error(Errc::kProtocol, "TLS handshake message split across records");
    }
    const std::uint8_t type = byte_at(data, at);
    const std::size_t length = (std::size_t{byte_at(data, at + 1)} << 16) |
                               (std::size_t{byte_at(data, at + 2)} << 8) | byte_at(data, at + 3);
    if (length > n - at - 4) {
      return make_error(Errc::kProtocol, "TLS handshake message split across records");
    }
    if (type == kKeyUpdate) {
      if (length != 1 || byte_at(data, at + 4) > 1) {
        return make_error(Errc::kProtocol, "malformed TLS KeyUpdate");
      }
      // The keys change after it: nothing may follow it in its record.
      if (at + 4 + length != n) {
        return make_error(Errc::kProtocol, "TLS KeyUpdate not at the end of its record");
      }
      seen.key_update = true;
      seen.update_requested = byte_at(data, at + 4) == 1;
    } else if (type != kNewSessionTicket) {
      return make_error(Errc::kProtocol, "unexpected TLS handshake message after the handshake");
    }
    at += 4 + length;
  }
  return seen;
}

}  // namespace sfs::tls
