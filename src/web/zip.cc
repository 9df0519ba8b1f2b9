#include "web/zip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include "base/check.h"

namespace sfs::web {
namespace {

constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint32_t kDescriptorSignature = 0x08074b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;

constexpr std::uint16_t kVersionPlain = 20;    // 2.0: folders, data descriptors
constexpr std::uint16_t kVersionZip64 = 45;    // 4.5: ZIP64 records
constexpr std::uint16_t kMadeOnUnix = 3 << 8;  // so the external attributes are a mode
constexpr std::uint16_t kFlagDescriptor = 0x0008;
constexpr std::uint16_t kFlagUtf8 = 0x0800;
constexpr std::uint16_t kZip64ExtraId = 0x0001;

constexpr std::uint32_t kMax32 = 0xFFFFFFFF;
constexpr std::uint16_t kMax16 = 0xFFFF;

// Little-endian fields, appended.
void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

void put64(std::string& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v & kMax32));
  put32(out, static_cast<std::uint32_t>(v >> 32));
}

std::uint32_t clamp32(std::uint64_t v) {
  return v >= kMax32 ? kMax32 : static_cast<std::uint32_t>(v);
}

// MS-DOS date and time (2-second steps, 1980 to 2107), in UTC.
std::uint32_t dos_time(std::int64_t seconds) {
  constexpr std::uint32_t kFirstDay = (1 << 5) | 1;  // 1980-01-01 00:00
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr || tm.tm_year < 80) {
    return kFirstDay << 16;
  }
  const int year = std::min(tm.tm_year - 80, 127);
  const auto date = static_cast<std::uint32_t>((year << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  const auto time =
      static_cast<std::uint32_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  return (date << 16) | time;
}

}  // namespace

std::uint32_t crc32_update(std::uint32_t crc, const char* data, std::size_t length) {
  uLong value = crc;
  const auto* bytes = reinterpret_cast<const Bytef*>(data);
  while (length > 0) {  // zlib takes an unsigned int at a time
    const auto piece = static_cast<uInt>(std::min<std::size_t>(length, UINT_MAX));
    value = ::crc32(value, bytes, piece);
    bytes += piece;
    length -= piece;
  }
  return static_cast<std::uint32_t>(value);
}

std::string ZipWriter::local_header(const Entry& entry) const {
  const bool zip64 = entry.zip64;
  std::string out;
  put32(out, kLocalSignature);
  put16(out, zip64 ? kVersionZip64 : kVersionPlain);
  put16(out, static_cast<std::uint16_t>(kFlagUtf8 | (entry.folder ? 0 : kFlagDescriptor)));
  put16(out, 0);  // stored
  put32(out, entry.dos_time);
  put32(out, 0);                   // CRC-32: in the data descriptor
  put32(out, zip64 ? kMax32 : 0);  // sizes: in the data descriptor
  put32(out, zip64 ? kMax32 : 0);
  put16(out, static_cast<std::uint16_t>(entry.name.size()));
  put16(out, zip64 ? 20 : 0);
  out += entry.name;
  if (zip64) {  // says the data descriptor's sizes are 8 bytes each
    put16(out, kZip64ExtraId);
    put16(out, 16);
    put64(out, 0);
    put64(out, 0);
  }
  return out;
}

std::string ZipWriter::begin_file(std::string_view name, std::int64_t mtime, std::uint64_t size) {
  SFS_CHECK(!in_file_);
  Entry entry{.name = std::string(name),
              .dos_time = dos_time(mtime),
              .offset = written_,
              .zip64 = size >= kMax32};
  std::string out = local_header(entry);
  entries_.push_back(std::move(entry));
  in_file_ = true;
  written_ += out.size();
  return out;
}

void ZipWriter::update(const char* data, std::size_t length) {
  SFS_CHECK(in_file_);
  Entry& entry = entries_.back();
  entry.crc = crc32_update(entry.crc, data, length);
  entry.size += length;
  written_ += length;
}

std::optional<std::string> ZipWriter::end_file() {
  SFS_CHECK(in_file_);
  in_file_ = false;
  const Entry& entry = entries_.back();
  if (!entry.zip64 && entry.size >= kMax32) {
    return std::nullopt;
  }
  std::string out;
  put32(out, kDescriptorSignature);
  put32(out, entry.crc);
  if (entry.zip64) {
    put64(out, entry.size);
    put64(out, entry.size);
  } else {
    put32(out, static_cast<std::uint32_t>(entry.size));
    put32(out, static_cast<std::uint32_t>(entry.size));
  }
  written_ += out.size();
  return out;
}

std::string ZipWriter::add_folder(std::string_view name, std::int64_t mtime) {
  SFS_CHECK(!in_file_);
  Entry entry{
      .name = std::string(name), .dos_time = dos_time(mtime), .offset = written_, .folder = true};
  std::string out = local_header(entry);
  entries_.push_back(std::move(entry));
  written_ += out.size();
  return out;
}

std::string ZipWriter::central_header(const Entry& entry) const {
  std::string extra;
  if (entry.size >= kMax32) {
    put64(extra, entry.size);
    put64(extra, entry.size);
  }
  if (entry.offset >= kMax32) {
    put64(extra, entry.offset);
  }
  const bool zip64 = entry.zip64 || !extra.empty();
  std::string out;
  put32(out, kCentralSignature);
  put16(out, static_cast<std::uint16_t>(kMadeOnUnix | kVersionZip64));
  put16(out, zip64 ? kVersionZip64 : kVersionPlain);
  put16(out, static_cast<std::uint16_t>(kFlagUtf8 | (entry.folder ? 0 : kFlagDescriptor)));
  put16(out, 0);
  put32(out, entry.dos_time);
  put32(out, entry.crc);
  put32(out, clamp32(entry.size));
  put32(out, clamp32(entry.size));
  put16(out, static_cast<std::uint16_t>(entry.name.size()));
  put16(out, static_cast<std::uint16_t>(extra.empty() ? 0 : extra.size() + 4));
  put16(out, 0);  // comment
  put16(out, 0);  // disk
  put16(out, 0);  // internal attributes
  // rw-r--r-- or rwxr-xr-x and MS-DOS's directory bit.
  put32(out, entry.folder ? (040755U << 16) | 0x10 : (0100644U << 16));
  put32(out, clamp32(entry.offset));
  out += entry.name;
  if (!extra.empty()) {
    put16(out, kZip64ExtraId);
    put16(out, static_cast<std::uint16_t>(extra.size()));
    out += extra;
  }
  return out;
}

std::string ZipWriter::finish() {
  SFS_CHECK(!in_file_);
  const std::uint64_t directory_at = written_;
  std::string out;
  for (const Entry& entry : entries_) {
    out += central_header(entry);
  }
  const std::uint64_t directory_bytes = out.size();
  const std::uint64_t count = entries_.size();
  if (count >= kMax16 || directory_at >= kMax32 || directory_bytes >= kMax32) {
    const std::uint64_t zip64_end_at = directory_at + directory_bytes;
    put32(out, kZip64EndSignature);
    put64(out, 44);  // the record's size after this field
    put16(out, static_cast<std::uint16_t>(kMadeOnUnix | kVersionZip64));
    put16(out, kVersionZip64);
    put32(out, 0);  // this disk
    put32(out, 0);  // the directory's disk
    put64(out, count);
    put64(out, count);
    put64(out, directory_bytes);
    put64(out, directory_at);
    put32(out, kZip64LocatorSignature);
    put32(out, 0);
    put64(out, zip64_end_at);
    put32(out, 1);  // disks
  }
  put32(out, kEndSignature);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint16_t>(std::min<std::uint64_t>(count, kMax16)));
  put16(out, static_cast<std::uint16_t>(std::min<std::uint64_t>(count, kMax16)));
  put32(out, clamp32(directory_bytes));
  put32(out, clamp32(directory_at));
  put16(out, 0);  // comment
  written_ += out.size();
  return out;
}

}  // namespace sfs::web
