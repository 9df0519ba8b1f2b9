#include <gtest/gtest.h>

#include "dav/tus.h"

namespace sfs::tus {
namespace {

TEST(TusNumber, DigitsOnly) {
  EXPECT_EQ(*parse_number("0"), 0U);
  EXPECT_EQ(*parse_number("1073741824"), 1073741824U);
  EXPECT_EQ(*parse_number("9223372036854775807"), 9223372036854775807U);
  for (const char* bad :
       {"", "-1", "+1", " 1", "1 ", "1.0", "0x10", "12a", "99999999999999999999"}) {
    auto n = parse_number(bad);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.error().code, Errc::kBadRequest);
  }
}

TEST(TusMetadata, PairsDecodedInOrder) {
  // "filename" "world_domination_plan.pdf", "is_confidential" (no value), "folder" "a/b"
  auto m =
      parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, folder YS9i");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 3U);
  EXPECT_EQ(value_of(*m, "filename"), "world_domination_plan.pdf");
  EXPECT_EQ(value_of(*m, "is_confidential"), "");
  EXPECT_EQ(value_of(*m, "folder"), "a/b");
  EXPECT_EQ(value_of(*m, "absent"), "");
  EXPECT_TRUE(parse_metadata("")->empty());
  EXPECT_EQ(value_of(*parse_metadata("k YWI"), "k"), "ab");  // padding left out
}

TEST(TusMetadata, MalformedIsRefused) {
  for (const char* bad : {"k a", "k YWJj=", "k Y=Jj", "k ****",
                          ",k YQ==", "k YQ==,k YQ==", "k YQ== x", "\x01 YQ=="}) {
    auto m = parse_metadata(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code, Errc::kBadRequest);
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxMetadataPairs; ++i) {
    many += (i ? "," : "") + std::string("k") + std::to_string(i);
  }
  EXPECT_FALSE(parse_metadata(many).ok());
  const std::string long_value = "k " + std::string((kMaxMetadataValueBytes + 3) / 3 * 4, 'Q');
  EXPECT_FALSE(parse_metadata(long_value).ok());
}

TEST(TusPatchType, MediaTypeIgnoringCaseAndParameters) {
  EXPECT_TRUE(is_patch_type("application/offset+octet-stream"));
  EXPECT_TRUE(is_patch_type("Application/Offset+Octet-Stream; x=y"));
  EXPECT_FALSE(is_patch_type("application/octet-stream"));
  EXPECT_FALSE(is_patch_type(""));
}

TEST(TusId, ThirtyTwoLowerHex) {
  EXPECT_TRUE(is_upload_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_upload_id("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(is_upload_id("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(is_upload_id("../../../etc/passwd"));
}

TEST(TusTargetPath, BeneathTheRootOnly) {
  EXPECT_EQ(*target_path("", "a.txt", 100), "a.txt");
  EXPECT_EQ(*target_path("/docs/2026/", "a.txt", 100), "docs/2026/a.txt");
  EXPECT_EQ(*target_path("d", "ünï cødé.txt", 100), "d/ünï cødé.txt");
  const std::pair<const char*, const char*> bad[] = {
      {"", ""},          {"", "a/b"},     {"", ".."},    {"", "."},
      {"..", "x"},       {"a/../b", "x"}, {"a//b", "x"}, {"", ".sfs-part-x"},
      {".sfs-tmp", "x"}, {"", "a\nb"},    {"a/./b", "x"}};
  for (const auto& [folder, name] : bad) {
    auto path = target_path(folder, name, 100);
    EXPECT_FALSE(path.ok()) << folder << " | " << name;
  }
  EXPECT_FALSE(target_path("", std::string_view("a\0b", 3), 100).ok());
  EXPECT_TRUE(target_path("", std::string(100, 'x'), 100).ok());
  auto long_path = target_path("d", std::string(99, 'x'), 100);
  ASSERT_FALSE(long_path.ok());
  EXPECT_EQ(long_path.error().code, Errc::kBadRequest);
}

}  // namespace
}  // namespace sfs::tus
