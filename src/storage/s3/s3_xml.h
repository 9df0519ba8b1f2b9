#pragma once
// The XML of S3 replies, read with named bounds (expat underneath), and the
// one request body sfs sends (CompleteMultipartUpload). Pure: bytes in,
// values out, no I/O; fuzzed by fuzz/fuzz_s3_xml.cc.
//
//   SFS_ASSIGN_OR_RETURN(ListPage page, parse_list_objects(body));
//   for (const ObjectEntry& o : page.objects) ...
//   if (page.truncated) next request with page.next_token
//
// The endpoint is trusted no more than a client: a reply larger than
// kMaxXmlReplyBytes, nesting deeper than kMaxXmlDepth, with more than
// kMaxXmlElements elements, any DOCTYPE, or a field that does not parse is
// an error (Errc::kIo, "bad S3 reply: ..."), never a crash. Element names
// are matched by their local part (S3 puts them in its 2006-03-01
// namespace; RGW and AWS differ in whether they declare it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::storage::s3 {

// A ListObjectsV2 page holds at most 1000 keys of at most 1024 bytes each:
// about 1.5 MB of XML. These bounds leave room for that, not for a flood.
inline constexpr std::size_t kMaxXmlReplyBytes = 8 << 20;
inline constexpr int kMaxXmlDepth = 16;
inline constexpr std::size_t kMaxXmlElements = 100'000;
// S3's own limit on a key; a longer one in a reply is refused.
inline constexpr std::size_t kMaxKeyBytes = 1024;
// Part numbers run from 1 to 10000 (S3's limit).
inline constexpr int kMaxPartNumber = 10'000;

struct ObjectEntry {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // LastModified, seconds since the epoch
  std::string etag;        // as sent, quotes included
};

// One page of ListObjectsV2: objects and, with a delimiter, the common
// prefixes ("folders", each ending in the delimiter).
struct ListPage {
  std::vector<ObjectEntry> objects;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};

struct PartEntry {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;
};

// One page of ListParts.
struct PartsPage {
  std::vector<PartEntry> parts;
  bool truncated = false;
  int next_marker = 0;  // NextPartNumberMarker when truncated
};

// A multipart upload begun and neither completed nor aborted.
struct UploadEntry {
  std::string key;
  std::string upload_id;
  std::int64_t initiated = 0;  // seconds since the epoch
};

// One page of ListMultipartUploads; the next page starts after
// (next_key_marker, next_upload_id_marker).
struct UploadsPage {
  std::vector<UploadEntry> uploads;
  bool truncated = false;
  std::string next_key_marker;        // never empty when truncated
  std::string next_upload_id_marker;  // may be empty (all of the key's uploads listed)
};

// An <Error> reply: its Code (NoSuchKey, SlowDown ...) and Message.
struct ErrorReply {
  std::string code;
  std::string message;
};

Result<ListPage> parse_list_objects(std::string_view xml);
Result<PartsPage> parse_list_parts(std::string_view xml);
// An upload without Key, UploadId or a valid Initiated time, an UploadId
// longer than kMaxKeyBytes, or a truncated page without NextKeyMarker is
// an error (kIo).
Result<UploadsPage> parse_list_uploads(std::string_view xml);
// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> parse_upload_id(std::string_view xml);
// The ETag of a CompleteMultipartUploadResult, CopyObjectResult or
// CopyPartResult. These calls may answer 200 and still fail, with an
// <Error> body: that is an error here (kIo, with the S3 code in the
// message). Ceph RGW 16 answers Complete with an empty ETag: then the
// result is ""; a copy without one is an error.
Result<std::string> parse_etag_result(std::string_view xml);
// An <Error> body; a body that is not one gives empty fields.
ErrorReply parse_error(std::string_view xml);

// The CompleteMultipartUpload request body listing `parts` (in order).
std::string complete_multipart_body(const std::vector<PartEntry>& parts);

// "2026-12-03T01:52:00.000Z" (ISO 8601 in UTC, as S3 lists times) to
// seconds since the epoch; kIo when it is not such a time.
Result<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace sfs::storage::s3
