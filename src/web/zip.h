#pragma once
// A ZIP archive written as a stream (PKWARE APPNOTE 6.3), for downloading a
// folder from the browser app: the door sends each piece as it is made, so
// neither side holds the archive. Files are stored (not compressed: most
// large files are compressed already, and storing costs no CPU); each
// file's header goes before its bytes with its CRC-32 and sizes left for a
// data descriptor after them, since they are only known at the end. ZIP64
// records are used where a size or an offset needs them (files of 4 GiB and
// more, archives past 4 GiB or 65,535 entries). Names are UTF-8 (flag bit
// 11), '/'-separated, folders end in '/'.
//
//   ZipWriter zip;
//   send(zip.begin_file("a/b.txt", mtime, size));
//   zip.update(data, n); send(data, n);   // as many times as needed
//   send(*zip.end_file());
//   send(zip.add_folder("a/empty/", mtime));
//   send(zip.finish());

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sfs::web {

// CRC-32 (ISO-HDLC, as ZIP and gzip use it) of `length` bytes, continuing
// from `crc` (0 to start).
std::uint32_t crc32_update(std::uint32_t crc, const char* data, std::size_t length);

class ZipWriter {
 public:
  // The local header of a file called `name` (relative, no leading '/'),
  // modified at `mtime` (seconds since the epoch, UTC), of `size` bytes (a
  // size of 4 GiB or more makes its records ZIP64 from the start). Its
  // bytes follow through update(), then end_file().
  std::string begin_file(std::string_view name, std::int64_t mtime, std::uint64_t size);
  // Counts bytes of the current file (its CRC-32 and size).
  void update(const char* data, std::size_t length);
  // The data descriptor that ends the current file; nothing when the file
  // grew to 4 GiB or more though begin_file was told less (its header
  // cannot say so any more: the archive is broken, end the download).
  std::optional<std::string> end_file();
  // A folder's entry (`name` ends in '/'): headers only, no data.
  std::string add_folder(std::string_view name, std::int64_t mtime);
  // The central directory and the end records: the last bytes.
  std::string finish();

  // Bytes written so far (what the caller has sent of the archive).
  std::uint64_t written() const { return written_; }

 private:
  struct Entry {
    std::string name;
    std::uint32_t dos_time = 0;  // time in the low 16 bits, date in the high
    std::uint32_t crc = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;  // of its local header
    bool folder = false;
    bool zip64 = false;  // its local header and data descriptor are ZIP64
  };

  std::string local_header(const Entry& entry) const;
  std::string central_header(const Entry& entry) const;

  std::vector<Entry> entries_;
  bool in_file_ = false;
  std::uint64_t written_ = 0;
};

}  // namespace sfs::web
