#include "web/zip.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "test_util.h"

namespace sfs::web {
namespace {

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

// What Python's zipfile (a reader sfs shares no code with) finds in the
// archive: "name size crc" per entry, then each file's bytes checked.
std::string python_reads(const std::string& archive) {
  const auto dir = test::TempDir("zip");
  const std::filesystem::path path = dir.path() / "a.zip";
  test::write_file(path, archive);
  const std::string command =
      "python3 -c \"import sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "assert z.testzip() is None\n"
      "for i in z.infolist(): print(i.filename, i.file_size, '%08x' % i.CRC, i.date_time[:3])\" " +
      path.string() + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  char line[512];
  while (pipe != nullptr && std::fgets(line, sizeof line, pipe) != nullptr) {
    out += line;
  }
  if (pipe != nullptr) {
    ::pclose(pipe);
  }
  return out;
}

TEST(ZipTest, Crc32IsTheIsoHdlcOne) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32_update(0, check.data(), check.size()), 0xCBF43926U);
  // In pieces, the same.
  std::uint32_t crc = crc32_update(0, check.data(), 4);
  EXPECT_EQ(crc32_update(crc, check.data() + 4, 5), 0xCBF43926U);
}

TEST(ZipTest, FilesAndFoldersReadBackInAnotherReader) {
  ZipWriter zip;
  std::string archive;
  const std::string body = "hello, zip\n";
  constexpr std::int64_t kMtime = 1700000000;  // 2023-11-14 22:13:20 UTC
  archive += zip.begin_file("docs/ünï cødé.txt", kMtime, body.size());
  zip.update(body.data(), 5);
  zip.update(body.data() + 5, body.size() - 5);
  archive += body;
  archive += *zip.end_file();
  archive += zip.add_folder("docs/empty/", kMtime);
  archive += zip.begin_file("zero", 0, 0);  // before 1980: 1980-01-01
  archive += *zip.end_file();
  archive += zip.finish();
  EXPECT_EQ(zip.written(), archive.size());
  EXPECT_EQ(le32(archive, 0), 0x04034b50U);
  EXPECT_EQ(le32(archive, archive.size() - 22), 0x06054b50U);
  const std::string crc = [&] {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc32_update(0, body.data(), body.size()));
    return std::string(hex);
  }();
  EXPECT_EQ(python_reads(archive), "docs/ünï cødé.txt 11 " + crc + " (2023, 11, 14)\n" +
                                       "docs/empty/ 0 00000000 (2023, 11, 14)\n" +
                                       "zero 0 00000000 (1980, 1, 1)\n");
}

TEST(ZipTest, AFileAnnouncedAsLargeGetsZip64RecordsAndReadsBack) {
  ZipWriter zip;
  std::string archive = zip.begin_file("big", 1700000000, std::uint64_t{5} << 30);
  archive += "abc";
  zip.update("abc", 3);
  const std::string descriptor = *zip.end_file();
  EXPECT_EQ(descriptor.size(), 24U);  // 8-byte sizes
  archive += descriptor + zip.finish();
  EXPECT_EQ(python_reads(archive).substr(0, 6), "big 3 ");
}

TEST(ZipTest, AFileGrownPastWhatItsHeaderSaidBreaksTheArchive) {
  ZipWriter zip;
  (void)zip.begin_file("small", 0, 10);
  const std::string piece(std::size_t{1} << 20, 'x');
  for (int i = 0; i < 4096; ++i) {  // 4 GiB counted (not kept)
    zip.update(piece.data(), piece.size());
  }
  EXPECT_FALSE(zip.end_file().has_value());
}

}  // namespace
}  // namespace sfs::web
