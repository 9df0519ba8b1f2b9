// Fuzzes the parsers of S3 replies (storage/s3/s3_xml.h) with the same
// bytes: none may crash, and what they accept must keep their bounds (an
// upload list's keys and ids, a part list's numbers). A part list that
// parses must survive the CompleteMultipartUpload body made from it
// (escaped ETags stay one element each).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/s3/s3_xml.h"

namespace s3 = sfs::storage::s3;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto page = s3::parse_list_objects(bytes)) {
    for (const auto& o : page->objects) {
      if (o.key.empty() || o.key.size() > s3::kMaxKeyBytes) {
        std::abort();
      }
    }
    if (page->truncated && page->next_token.empty()) {
      std::abort();
    }
  }
  if (auto parts = s3::parse_list_parts(bytes)) {
    for (const auto& p : parts->parts) {
      if (p.number < 1 || p.number > s3::kMaxPartNumber) {
        std::abort();
      }
    }
    const std::string body = s3::complete_multipart_body(parts->parts);
    if (body.find("<Part>") != std::string::npos &&
        body.find("</CompleteMultipartUpload>") != body.size() - 26) {
      std::abort();
    }
  }
  if (auto uploads = s3::parse_list_uploads(bytes)) {
    for (const auto& u : uploads->uploads) {
      if (u.key.empty() || u.key.size() > s3::kMaxKeyBytes || u.upload_id.empty() ||
          u.upload_id.size() > s3::kMaxKeyBytes) {
        std::abort();
      }
    }
    if (uploads->truncated && uploads->next_key_marker.empty()) {
      std::abort();
    }
  }
  (void)s3::parse_upload_id(bytes);
  (void)s3::parse_etag_result(bytes);
  (void)s3::parse_error(bytes);
  (void)s3::parse_iso8601(bytes);
  return 0;
}
