#include "storage/s3/s3_sign.h"

#include <gtest/gtest.h>

namespace sfs::storage::s3 {
namespace {

// The example of AWS's "Signature Calculations for the Authorization
// Header" (GET Object with a Range header), signed here as documented.
TEST(S3SignTest, SignsAwssDocumentedExample) {
  const SignInput in{
      .method = "GET",
      .path = "/test.txt",
      .query = "",
      .host = "examplebucket.s3.amazonaws.com",
      .amz_date = "20130524T000000Z",
      .region = "us-east-1",
      .payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      .headers = {{"Range", "bytes=0-9"}},
      .access_key = "AKIAIOSFODNN7EXAMPLE",
      .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  };
  EXPECT_EQ(sign_v4(in),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SignTest, TellsWhichHeaderNamesCurlOrdersWrongly) {
  EXPECT_TRUE(curl_orders_alike({"x-amz-meta-sfs-digest", "x-amz-meta-sfs-mtime"}));
  EXPECT_TRUE(curl_orders_alike({"x-amz-copy-source", "x-amz-metadata-directive"}));
  EXPECT_FALSE(curl_orders_alike({"x-amz-copy-source", "x-amz-copy-source-range"}));
  EXPECT_FALSE(curl_orders_alike({"x-amz-copy-source-if-match", "x-amz-copy-source"}));
  EXPECT_TRUE(curl_orders_alike({"x-amz-meta-a", "x-amz-meta-ab"}));  // 'b' sorts after ':'
}

}  // namespace
}  // namespace sfs::storage::s3
