#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace sfs::crypto {
namespace {

EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

void init(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();  // SHA-256 missing from OpenSSL: nothing can be verified
  }
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) {
    std::abort();
  }
  init(as_ctx(ctx_));
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::update(const void* data, std::size_t length) {
  EVP_DigestUpdate(as_ctx(ctx_), data, length);
}

Sha256::Digest Sha256::digest() {
  Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(as_ctx(ctx_), out.data(), &len);
  init(as_ctx(ctx_));
  return out;
}

std::string Sha256::hex_digest() { return to_hex(digest()); }

std::string Sha256::hex_digest_so_far() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (copy == nullptr || EVP_MD_CTX_copy_ex(copy, as_ctx(ctx_)) != 1) {
    std::abort();
  }
  Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, out.data(), &len);
  EVP_MD_CTX_free(copy);
  return to_hex(out);
}

void Sha256::reset() { init(as_ctx(ctx_)); }

std::string to_hex(const Sha256::Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (const std::uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

Result<void> hash_prefix(const ReadAt& read, std::uint64_t length, Sha256& hash) {
  std::string buffer(std::min<std::uint64_t>(length, 1U << 20), '\0');
  for (std::uint64_t done = 0; done < length;) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    auto n = read(buffer.data(), want, done);
    if (!n) {
      return n.error();
    }
    if (*n == 0) {
      return make_error(Errc::kIo, "file shrank while being read");
    }
    hash.update(buffer.data(), *n);
    done += *n;
  }
  return {};
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) {
    return false;
  }
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace sfs::crypto
