#include "auth/user_db.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "auth/user_name.h"

namespace sfs::auth {
namespace {

constexpr std::string_view kArgon2Prefix = "$argon2id$";
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxFileBytes = 16U << 20;

Error line_error(std::string_view source, std::size_t line, std::string_view why) {
  return make_error(Errc::kBadRequest,
                    std::string(source) + ":" + std::to_string(line) + ": " + std::string(why));
}

void init_sodium() {
  if (sodium_init() < 0) {
    std::abort();  // no usable randomness: nothing safe can follow
  }
}

}  // namespace

UserDb::UserDb() {
  init_sodium();
  randombytes_buf(key_.data(), key_.size());
  randombytes_buf(dummy_.digest.data(), dummy_.digest.size());
}

UserDb::Digest UserDb::digest_of(std::string_view password) const {
  Digest out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                     key_.data(), key_.size());
  return out;
}

bool UserDb::matches(const Secret& secret, std::string_view password) const {
  if (secret.hashed) {
    const std::string pw(password);
    return crypto_pwhash_str_verify(secret.argon2.c_str(), pw.c_str(), pw.size()) == 0;
  }
  // Comparing fixed-size keyed digests: the time depends on neither the
  // stored nor the given password's content or length.
  const Digest given = digest_of(password);
  return sodium_memcmp(given.data(), secret.digest.data(), given.size()) == 0;
}

bool UserDb::verify(std::string_view user, std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) {
    password = password.substr(0, kMaxPasswordBytes + 1);
  }
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const bool match = matches(known ? it->second : dummy_, password);
  return known && match;
}

std::size_t UserDb::plaintext_count() const {
  std::size_t n = 0;
  for (const auto& [name, secret] : users_) {
    n += secret.hashed ? 0 : 1;
  }
  return n;
}

Result<UserDb> UserDb::parse(std::string_view text, std::string_view source) {
  UserDb db;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return line_error(source, line_no, "expected user:password");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view secret = line.substr(colon + 1);
    if (!is_valid_user_name(name)) {
      return line_error(source, line_no, "invalid user name (use 1-32 of A-Z a-z 0-9 . _ -)");
    }
    if (secret.empty() || secret.size() > kMaxPasswordBytes) {
      return line_error(source, line_no, "password empty or longer than 1024 bytes");
    }
    Secret s;
    if (secret.starts_with(kArgon2Prefix)) {
      s.hashed = true;
      s.argon2 = std::string(secret);
    } else {
      s.digest = db.digest_of(secret);
    }
    if (!db.users_.emplace(std::string(name), std::move(s)).second) {
      return line_error(source, line_no, "duplicate user '" + std::string(name) + "'");
    }
  }
  return db;
}

Result<UserDb> UserDb::load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return make_error(Errc::kNotFound, "auth file " + file.string() + " not found");
  }
  if (std::filesystem::file_size(file, ec) > kMaxFileBytes) {
    return make_error(Errc::kTooLarge, "auth file " + file.string() + " is too large");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return make_error(Errc::kIo, "auth file " + file.string() + " cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

}  // namespace sfs::auth
