#include "auth/password_hash.h"

#include <sodium.h>

#include <cstdlib>

namespace sfs::auth {
void init_sodium() {
  if (sodium_init() < 0) {
    std::abort();  // no usable randomness: nothing safe can follow
  }
}

Result<std::string> hash_password(std::string_view password) {
  init_sodium();
  if (password.size() > kMaxPasswordBytes) {
    return make_error(Errc::kBadRequest, "password longer than 1024 bytes");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(Errc::kInternal, "not enough memory to hash the password");
  }
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  init_sodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(const std::string& hash) {
  init_sodium();
  return crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

}  // namespace sfs::auth
