// The S3 reply parsers (storage/s3/s3_xml.h): real replies as RGW and AWS
// send them, and what a broken or hostile endpoint might send instead.

#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/s3/s3_client.h"

namespace sfs::storage::s3 {
namespace {

constexpr char kListPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>u/alice/</Prefix><MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <Contents><Key>u/alice/a &amp; b.txt</Key><LastModified>2026-12-03T01:52:00.123Z</LastModified>
    <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>5</Size>
    <StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>u/alice/b</Key><LastModified>1970-01-01T00:00:01Z</LastModified>
    <ETag>"x"</ETag><Size>18446744073709551615</Size></Contents>
  <CommonPrefixes><Prefix>u/alice/dir/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>u/alice/other/</Prefix></CommonPrefixes>
  <KeyCount>4</KeyCount><NextContinuationToken>tok+en/=</NextContinuationToken>
</ListBucketResult>)";

TEST(S3Xml, ListObjectsV2PageWithPrefixesAndToken) {
  auto page = parse_list_objects(kListPage);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(2u, page->objects.size());
  EXPECT_EQ("u/alice/a & b.txt", page->objects[0].key);
  EXPECT_EQ(5u, page->objects[0].size);
  EXPECT_EQ(1796262720, page->objects[0].mtime);
  EXPECT_EQ("\"0cc175b9c0f1b6a831c399e269772661\"", page->objects[0].etag);
  EXPECT_EQ(18446744073709551615ULL, page->objects[1].size);
  EXPECT_EQ(1, page->objects[1].mtime);
  EXPECT_EQ((std::vector<std::string>{"u/alice/dir/", "u/alice/other/"}), page->prefixes);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ("tok+en/=", page->next_token);
}

TEST(S3Xml, EmptyListingWithoutNamespace) {
  auto page = parse_list_objects(
      "<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_TRUE(page->objects.empty());
  EXPECT_TRUE(page->prefixes.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(S3Xml, BadListingsAreErrorsNotCrashes) {
  const char* bad[] = {
      "",
      "not xml",
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
      "<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
      "<ListBucketResult><Contents><Size>5</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Key><Size>18446744073709551616</Size></Contents>"
      "</ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday</LastModified>"
      "</Contents></ListBucketResult>",
      "<ListPartsResult></ListPartsResult>",
      "<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult>&a;</ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Key></Contents>",
  };
  for (const char* xml : bad) {
    auto page = parse_list_objects(xml);
    ASSERT_FALSE(page.ok()) << xml;
    EXPECT_EQ(Errc::kIo, page.error().code) << xml;
    EXPECT_TRUE(page.error().message.starts_with("bad S3 reply: ")) << page.error().message;
  }
}

TEST(S3Xml, LimitsOnSizeDepthAndKeys) {
  std::string deep;
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) {
    deep += "<a>";
  }
  EXPECT_NE(std::string::npos, parse_list_objects(deep).error().message.find("deeper"));
  std::string big(kMaxXmlReplyBytes + 1, ' ');
  EXPECT_NE(std::string::npos, parse_list_objects(big).error().message.find("larger"));
  std::string long_key = "<ListBucketResult><Contents><Key>" + std::string(kMaxKeyBytes + 1, 'k') +
                         "</Key></Contents></ListBucketResult>";
  EXPECT_NE(std::string::npos, parse_list_objects(long_key).error().message.find("longer"));
  std::string many = "<ListBucketResult>";
  for (std::size_t i = 0; i < kMaxXmlElements; ++i) {
    many += "<x/>";
  }
  many += "</ListBucketResult>";
  EXPECT_NE(std::string::npos, parse_list_objects(many).error().message.find("elements"));
}

TEST(S3Xml, AnErrorReplyBecomesItsCode) {
  const char* xml =
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>gone\nfor good</Message>"
      "<BucketName>b</BucketName></Error>";
  ErrorReply e = parse_error(xml);
  EXPECT_EQ("NoSuchBucket", e.code);
  EXPECT_EQ("gone\nfor good", e.message);
  auto page = parse_list_objects(xml);
  ASSERT_FALSE(page.ok());
  EXPECT_NE(std::string::npos, page.error().message.find("NoSuchBucket"));
  EXPECT_EQ("", parse_error("<ListBucketResult/>").code);
  EXPECT_EQ("", parse_error("garbage").code);
}

TEST(S3Xml, ListPartsPage) {
  auto page = parse_list_parts(R"(<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Bucket>b</Bucket><Key>k</Key><UploadId>2~abc</UploadId>
    <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>
    <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
    <Part><LastModified>2026-12-03T01:52:00.000Z</LastModified><PartNumber>1</PartNumber>
      <ETag>"e1"</ETag><Size>8388608</Size></Part>
    <Part><PartNumber>2</PartNumber><ETag>"e2"</ETag><Size>3</Size></Part>
  </ListPartsResult>)");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(2u, page->parts.size());
  EXPECT_EQ(1, page->parts[0].number);
  EXPECT_EQ(8388608u, page->parts[0].size);
  EXPECT_EQ("\"e1\"", page->parts[0].etag);
  EXPECT_EQ(2, page->parts[1].number);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(2, page->next_marker);
  EXPECT_FALSE(parse_list_parts("<ListPartsResult><Part><PartNumber>10001</PartNumber></Part>"
                                "</ListPartsResult>")
                   .ok());
  EXPECT_FALSE(
      parse_list_parts("<ListPartsResult><Part><Size>1</Size></Part></ListPartsResult>").ok());
}

// As Ceph RGW 16.2 answered GET /bkt?max-uploads=2&prefix=p/u/&uploads
// (its Initiator and Owner nest a level deeper than the fields read).
constexpr char kUploadsPage[] =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult )"
    R"(xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>bkt</Bucket><Prefix>p/u/</Prefix>)"
    R"(<NextKeyMarker>p/u/bob/x</NextKeyMarker><NextUploadIdMarker>2~Z7Pq0DKWGPlfpBuYEqTFQ_Ar4bpyIf_)"
    R"(</NextUploadIdMarker><MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>)"
    R"(p/u/alice/a &amp;b</Key><UploadId>2~egXDv0owmTMRLJH0YWMiWnoBE1-ViSO</UploadId><Initiator><ID>)"
    R"(sfs</ID><DisplayName>sfs</DisplayName></Initiator><Owner><ID>sfs</ID><DisplayName>sfs)"
    R"(</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>)"
    R"(2026-12-03T10:43:42.831Z</Initiated></Upload><Upload><Key>p/u/bob/x</Key><UploadId>)"
    R"(2~Z7Pq0DKWGPlfpBuYEqTFQ_Ar4bpyIf_</UploadId><Initiator><ID>sfs</ID><DisplayName>sfs)"
    R"(</DisplayName></Initiator><Owner><ID>sfs</ID><DisplayName>sfs</DisplayName></Owner>)"
    R"(<StorageClass>STANDARD</StorageClass><Initiated>2026-12-03T10:43:42.878Z</Initiated>)"
    R"(</Upload></ListMultipartUploadsResult>)";

TEST(S3Xml, ListMultipartUploadsPage) {
  auto page = parse_list_uploads(kUploadsPage);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(2u, page->uploads.size());
  EXPECT_EQ("p/u/alice/a &b", page->uploads[0].key);
  EXPECT_EQ("2~egXDv0owmTMRLJH0YWMiWnoBE1-ViSO", page->uploads[0].upload_id);
  EXPECT_EQ(1796294622, page->uploads[0].initiated);
  EXPECT_EQ("p/u/bob/x", page->uploads[1].key);
  EXPECT_EQ("2~Z7Pq0DKWGPlfpBuYEqTFQ_Ar4bpyIf_", page->uploads[1].upload_id);
  EXPECT_EQ(1796294622, page->uploads[1].initiated);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ("p/u/bob/x", page->next_key_marker);
  EXPECT_EQ("2~Z7Pq0DKWGPlfpBuYEqTFQ_Ar4bpyIf_", page->next_upload_id_marker);

  auto empty = parse_list_uploads(
      "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->uploads.empty());
  EXPECT_FALSE(empty->truncated);
}

TEST(S3Xml, BadUploadListsAreErrorsNotCrashes) {
  const auto root = [](const std::string& inner) {
    return "<ListMultipartUploadsResult>" + inner + "</ListMultipartUploadsResult>";
  };
  const std::string when = "<Initiated>2026-12-03T01:52:00Z</Initiated>";
  const std::string id_too_long(kMaxKeyBytes + 1, 'i');
  const std::string bad[] = {
      "",
      "<ListMultipartUploadsResult>",
      "<ListBucketResult></ListBucketResult>",
      root("<IsTruncated>true</IsTruncated>"),
      root("<IsTruncated>1</IsTruncated>"),
      root("<Upload><UploadId>i</UploadId>" + when + "</Upload>"),
      root("<Upload><Key>k</Key>" + when + "</Upload>"),
      root("<Upload><Key>k</Key><UploadId>i</UploadId></Upload>"),
      root("<Upload><Key>k</Key><UploadId>i</UploadId><Initiated>soon</Initiated></Upload>"),
      root("<Upload><Key>k</Key><UploadId>" + id_too_long + "</UploadId>" + when + "</Upload>"),
      "<!DOCTYPE x [<!ENTITY a \"b\">]>" + root("&a;"),
      "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
  };
  for (const std::string& xml : bad) {
    auto page = parse_list_uploads(xml);
    ASSERT_FALSE(page.ok()) << xml;
    EXPECT_EQ(Errc::kIo, page.error().code) << xml;
  }
  // An upload nested anywhere but under the root is not one.
  auto nested = parse_list_uploads(
      root("<X><Upload><Key>k</Key><UploadId>i</UploadId>" + when + "</Upload></X>"));
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  EXPECT_TRUE(nested->uploads.empty());
  std::string many = "<ListMultipartUploadsResult>";
  for (std::size_t i = 0; i < kMaxXmlElements; ++i) {
    many += "<Upload/>";
  }
  many += "</ListMultipartUploadsResult>";
  EXPECT_NE(std::string::npos, parse_list_uploads(many).error().message.find("elements"));
}

TEST(S3Xml, UploadIdAndEtagResults) {
  auto id = parse_upload_id(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>2~xyz</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ("2~xyz", *id);
  EXPECT_FALSE(parse_upload_id("<InitiateMultipartUploadResult/>").ok());

  auto done = parse_etag_result(
      "<CompleteMultipartUploadResult><Location>l</Location><ETag>\"abc-2\"</ETag>"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ("\"abc-2\"", *done);
  auto copied = parse_etag_result(
      "<CopyObjectResult><LastModified>2026-12-03T01:52:00.000Z</LastModified>"
      "<ETag>\"c\"</ETag></CopyObjectResult>");
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ("\"c\"", *copied);
  // 200 with an error inside: S3 does that for Complete and Copy.
  auto failed = parse_etag_result("<Error><Code>InternalError</Code><Message>m</Message></Error>");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(std::string::npos, failed.error().message.find("InternalError"));
  EXPECT_FALSE(parse_etag_result("<CopyObjectResult/>").ok());
  auto part = parse_etag_result(
      "<CopyPartResult><LastModified>2026-12-03T01:52:00.000Z</LastModified>"
      "<ETag>\"p\"</ETag></CopyPartResult>");
  ASSERT_TRUE(part.ok()) << part.error().message;
  EXPECT_EQ("\"p\"", *part);
  EXPECT_FALSE(parse_etag_result("<CopyPartResult><ETag></ETag></CopyPartResult>").ok());
  auto rgw = parse_etag_result(
      "<CompleteMultipartUploadResult><ETag></ETag>"
      "</CompleteMultipartUploadResult>");  // as RGW 16 answers
  ASSERT_TRUE(rgw.ok()) << rgw.error().message;
  EXPECT_EQ("", *rgw);
  EXPECT_FALSE(parse_etag_result("<Other><ETag>x</ETag></Other>").ok());
}

TEST(S3Xml, CompleteBodyListsPartsInOrderEscaped) {
  std::string body = complete_multipart_body({{1, 5, "\"a\""}, {2, 3, "<b&>"}});
  EXPECT_EQ(
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag>"
      "</Part><Part><PartNumber>2</PartNumber><ETag>&lt;b&amp;&gt;</ETag></Part>"
      "</CompleteMultipartUpload>",
      body);
}

TEST(S3Xml, Iso8601Times) {
  EXPECT_EQ(0, *parse_iso8601("1970-01-01T00:00:00Z"));
  EXPECT_EQ(951782400, *parse_iso8601("2000-02-29T00:00:00.5Z"));
  EXPECT_EQ(4102444799, *parse_iso8601("2099-12-31T23:59:59.999999Z"));
  for (const char* bad : {"", "2026-02-30T00:00:00Z", "2026-12-03T24:00:00Z",
                          "2026-12-03 01:52:00Z", "2026-12-03T01:52:00", "2026-12-03T01:52:00.Zx",
                          "20261203T015200Z", "2026-12-03T01:52:00+01:00"}) {
    EXPECT_FALSE(parse_iso8601(bad).ok()) << bad;
  }
}

TEST(S3Client, UriEncodingAsSigV4WantsIt) {
  EXPECT_EQ("u/alice/a%20b%2Bc%25d~e_f-g.h", uri_encode("u/alice/a b+c%d~e_f-g.h", true));
  EXPECT_EQ("a%2Fb%3D", uri_encode("a/b=", false));
  EXPECT_EQ("%C3%BC%E2%98%83", uri_encode("\xc3\xbc\xe2\x98\x83", true));
}

TEST(S3Client, ConfigurationIsCheckedBeforeAnyRequest) {
  asio::thread_pool pool(1);
  S3Config good{
      .endpoint = "http://127.0.0.1:1/", .bucket = "b", .access_key = "a", .secret_key = "s"};
  EXPECT_TRUE(S3Client::create(good, pool).ok());
  S3Config no_scheme = good;
  no_scheme.endpoint = "127.0.0.1:1";
  EXPECT_EQ(Errc::kBadRequest, S3Client::create(no_scheme, pool).error().code);
  S3Config slash = good;
  slash.bucket = "a/b";
  EXPECT_EQ(Errc::kBadRequest, S3Client::create(slash, pool).error().code);
  S3Config no_secret = good;
  no_secret.secret_key.clear();
  auto refused = S3Client::create(no_secret, pool);
  EXPECT_EQ(Errc::kBadRequest, refused.error().code);
  pool.join();
}

}  // namespace
}  // namespace sfs::storage::s3
