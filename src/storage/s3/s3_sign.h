#pragma once
// AWS Signature Version 4 for the requests libcurl 7.88 signs wrongly. Its
// CURLOPT_AWS_SIGV4 sorts the canonical headers as whole "name:value"
// lines, so a header whose name extends another's ("x-amz-copy-source" and
// "x-amz-copy-source-range", as UploadPartCopy needs) lands in the wrong
// order and the store answers SignatureDoesNotMatch (fixed in curl 8.10).
// Such a request is signed here instead; every other one stays with curl.
// Pure: no clock, no network.
//
//   if (!curl_orders_alike(names)) headers += sign_v4({...});

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sfs::storage::s3 {

// False when two of the header `names` (lower case) are such that one is a
// prefix of the other followed by '-' (or any byte below ':'), the case
// curl 7.88 orders wrongly.
bool curl_orders_alike(const std::vector<std::string>& names);

struct SignInput {
  std::string method;        // "PUT"
  std::string path;          // as sent, encoded: "/bucket/a%20b"
  std::string query;         // canonical: sorted "name=value" joined by '&'
  std::string host;          // the Host header's value, as sent
  std::string amz_date;      // "20130524T000000Z"
  std::string region;        // "us-east-1"
  std::string payload_hash;  // "UNSIGNED-PAYLOAD" or a SHA-256 in hex
  std::vector<std::pair<std::string, std::string>> headers;  // the x-amz-* ones and others
  std::string access_key;
  std::string secret_key;
};

// The Authorization header's value: "AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=..., Signature=...". Signs host, x-amz-content-sha256,
// x-amz-date and `headers` (names lower-cased, values trimmed).
std::string sign_v4(const SignInput& in);

}  // namespace sfs::storage::s3
