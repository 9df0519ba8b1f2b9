// The S3 partial sidecar's encoding (storage/s3/s3_partial.h).

#include "storage/s3/s3_partial.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "base/hex.h"
#include "crypto/digest.h"
#include "storage/s3/s3_xml.h"

namespace sfs::storage::s3 {
namespace {

constexpr std::string_view kPartialMagic1 = "sfs-partial 1\n";
constexpr std::string_view kPartialMagic2 = "sfs-partial 2\n";

// Lower-case hex only (what to_hex writes).
std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit_value(hex[i]);
    const int low = hex_digit_value(hex[i + 1]);
    if (high < 0 || low < 0 || (hex[i] >= 'A' && hex[i] <= 'F') ||
        (hex[i + 1] >= 'A' && hex[i + 1] <= 'F')) {
      return std::nullopt;
    }
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

// A decimal count of at most `max`, as encode_partial writes it: digits
// only, no sign, no blanks, no leading zero.
std::optional<std::uint64_t> count_in(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0') ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value <= max ? std::optional(value) : std::nullopt;
}

// The version 2 fields after the count of parts: part size, id, key, state.
Result<void> decode_fields2(const std::string_view (&fields)[5], Partial& out) {
  const Error damaged = make_error(Errc::kIo, "damaged S3 partial sidecar");
  auto part_size = count_in(fields[1], kMaxPartialPartSize);
  if (!part_size || *part_size == 0) {
    return damaged;
  }
  out.part_size = static_cast<std::size_t>(*part_size);
  out.upload_id = std::string(fields[2]);
  out.key = std::string(fields[3]);
  const std::string_view state = fields[4];
  if (out.parts == 0) {
    return state.empty() ? Result<void>() : Result<void>(damaged);
  }
  if (state.size() != 2 * crypto::kSavedStateBytes) {
    return damaged;
  }
  auto bytes = from_hex(state);
  if (!bytes) {
    return damaged;
  }
  out.digest_state = std::move(*bytes);
  return {};
}

}  // namespace

std::string encode_partial(const Partial& partial) {
  return std::string(kPartialMagic2) + std::to_string(partial.parts) + "\n" +
         std::to_string(partial.part_size) + "\n" + partial.upload_id + "\n" + partial.key + "\n" +
         to_hex(partial.digest_state) + "\n" + partial.tail;
}

// The key may hold any byte but '\n' (S3 keys from checked paths never do).
Result<Partial> decode_partial(std::string_view body) {
  const Error damaged = make_error(Errc::kIo, "damaged S3 partial sidecar");
  Partial out;
  if (body.starts_with(kPartialMagic2)) {
    out.version = 2;
  } else if (body.starts_with(kPartialMagic1)) {
    out.version = 1;
  } else {
    return damaged;
  }
  std::string_view fields[5];
  const std::size_t count = out.version == 1 ? 3 : 5;
  std::size_t at = kPartialMagic2.size();  // both magics are as long
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t end = body.find('\n', at);
    if (end == std::string_view::npos || end > kMaxPartialHeader) {
      return damaged;
    }
    fields[i] = body.substr(at, end - at);
    at = end + 1;
  }
  auto parts = count_in(fields[0], kMaxPartNumber);
  if (!parts) {
    return damaged;
  }
  out.parts = static_cast<int>(*parts);
  if (out.version == 1) {
    out.upload_id = std::string(fields[1]);
    out.key = std::string(fields[2]);
  } else {
    SFS_RETURN_IF_ERROR(decode_fields2(fields, out));
  }
  if ((out.parts > 0) == out.upload_id.empty()) {
    return damaged;
  }
  out.tail = std::string(body.substr(at));
  return out;
}

}  // namespace sfs::storage::s3
