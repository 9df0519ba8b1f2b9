#include "storage/s3/s3_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "base/check.h"
#include "base/hex.h"

namespace sfs::storage::s3 {
namespace {

using Bytes = std::string;

Bytes sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  SFS_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) == 1);
  return {reinterpret_cast<const char*>(out.data()), length};
}

Bytes hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  SFS_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                 &length) != nullptr);
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Leading and trailing blanks go, inner runs of spaces become one.
std::string trimmed(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

}  // namespace

bool curl_orders_alike(const std::vector<std::string>& names) {
  for (const std::string& a : names) {
    for (const std::string& b : names) {
      // curl compares "a:..." with "b...": wrong when b extends a with a
      // byte that sorts before ':'.
      if (b.size() > a.size() && b.compare(0, a.size(), a) == 0 &&
          static_cast<unsigned char>(b[a.size()]) < ':') {
        return false;
      }
    }
  }
  return true;
}

std::string sign_v4(const SignInput& in) {
  std::map<std::string, std::string> headers;  // sorted by name: the canonical order
  for (const auto& [name, value] : in.headers) {
    headers[lower(name)] = trimmed(value);
  }
  headers["host"] = trimmed(in.host);
  headers["x-amz-content-sha256"] = in.payload_hash;
  headers["x-amz-date"] = in.amz_date;
  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers.append(name).append(":").append(value).append("\n");
    signed_headers.append(signed_headers.empty() ? "" : ";").append(name);
  }
  const std::string canonical = in.method + "\n" + in.path + "\n" + in.query + "\n" +
                                canonical_headers + "\n" + signed_headers + "\n" + in.payload_hash;
  const std::string day = in.amz_date.substr(0, 8);
  const std::string scope = day + "/" + in.region + "/s3/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + in.amz_date + "\n" + scope + "\n" + to_hex(sha256(canonical));
  Bytes key = hmac("AWS4" + in.secret_key, day);
  key = hmac(key, in.region);
  key = hmac(key, "s3");
  key = hmac(key, "aws4_request");
  return "AWS4-HMAC-SHA256 Credential=" + in.access_key + "/" + scope +
         ", SignedHeaders=" + signed_headers + ", Signature=" + to_hex(hmac(key, to_sign));
}

}  // namespace sfs::storage::s3
