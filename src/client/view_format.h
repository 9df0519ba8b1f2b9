#pragma once
// How `view` shows a file's first bytes on a terminal: text as text, binary
// data as an xxd-like hex dump, so that a binary file can neither garble nor
// drive the terminal (escape sequences). Pure: bytes in, text out. When
// stdout is not a terminal, `view` writes the raw bytes and none of this runs.
//
//   TerminalView view;
//   out << view.feed(chunk1) << view.feed(chunk2) << view.finish();

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sfs::client {

// True when `data` reads as text: valid UTF-8 (no overlongs, surrogates or
// code points past U+10FFFF) without NUL or other control characters (C0
// except \n \t \r, DEL, C1). A multi-byte sequence cut off by the end of
// `data` is accepted, since a preview may end in the middle of a character.
bool looks_like_text(std::string_view data);

// xxd-like lines for `data`, the first byte being at `offset` in the file:
//   "00000010: 4865 6c6c 6f0a                           Hello.\n"
// offset (8 hex digits, more when needed), 16 bytes as 8 groups of 2, and the
// bytes again with everything outside 0x20-0x7E shown as '.'. A last line of
// fewer than 16 bytes is padded so the ASCII column stays aligned.
std::string hex_dump(std::string_view data, std::uint64_t offset);

// Decides text or binary on the first kSniffBytes (or all, if fewer), then
// formats everything in that mode as it streams. In text mode, control
// characters that appear after the sniffed part are shown as '.', and a
// missing final newline is added.
class TerminalView {
 public:
  static constexpr std::size_t kSniffBytes = std::size_t{64} * 1024;

  // Returns what to print for `chunk` now (possibly nothing yet).
  std::string feed(std::string_view chunk);
  // Returns what remains to print at the end of the data.
  std::string finish();

 private:
  std::string emit(std::string_view chunk);

  std::optional<bool> binary_;  // unset until decided
  std::string pending_;         // sniffed bytes, then a hex line's worth of carry
  std::uint64_t offset_ = 0;    // file offset of the first byte in pending_ (hex mode)
  char last_ = '\n';            // last byte printed in text mode
};

}  // namespace sfs::client
