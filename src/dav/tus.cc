#include "dav/tus.h"

#include <algorithm>
#include <charconv>

#include "base/base64.h"
#include "base/blanks.h"

namespace sfs::tus {
namespace {

Error bad(std::string message) { return make_error(Errc::kBadRequest, std::move(message)); }

bool is_key(std::string_view key) {
  return !key.empty() && key.size() <= kMaxMetadataKeyBytes &&
         std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

// Appends one "key base64" pair to `out`.
Result<void> add_pair(std::string_view pair, Metadata& out, std::size_t& value_bytes) {
  pair = trim_blanks(pair);
  const std::size_t space = pair.find_first_of(" \t");
  const std::string_view key = pair.substr(0, space);
  const std::string_view encoded =
      space == std::string_view::npos ? std::string_view() : trim_blanks(pair.substr(space));
  if (!is_key(key)) {
    return bad("Upload-Metadata: a key is empty, too long or not visible ASCII");
  }
  if (value_of(out, key).data() != nullptr || out.size() >= kMaxMetadataPairs) {
    return bad(out.size() >= kMaxMetadataPairs ? "Upload-Metadata: too many pairs"
                                               : "Upload-Metadata: a key is repeated");
  }
  auto value = decode_base64(encoded);
  if (!value) {
    return bad("Upload-Metadata: a value is not base64");
  }
  value_bytes += value->size();
  if (value_bytes > kMaxMetadataValueBytes) {
    return bad("Upload-Metadata: values longer than " + std::to_string(kMaxMetadataValueBytes) +
               " bytes");
  }
  out.emplace_back(std::string(key), std::move(*value));
  return {};
}

// One component of a target path: kBadRequest naming what is wrong.
Result<void> check_component(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return bad("an empty, \".\" or \"..\" name");
  }
  if (name.starts_with(".sfs-")) {
    return bad("names starting with .sfs- are the server's");
  }
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return bad("a control character in a name");
  }
  return {};
}

}  // namespace

Result<std::uint64_t> parse_number(std::string_view value) {
  // 19 digits always fit in 63 bits: no overflow to check, no value a
  // signed offset elsewhere could not hold.
  if (value.empty() || value.size() > 19 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("not a number of 1 to 19 digits");
  }
  std::uint64_t n = 0;
  std::from_chars(value.data(), value.data() + value.size(), n);
  return n;
}

Result<Metadata> parse_metadata(std::string_view value) {
  Metadata out;
  std::size_t value_bytes = 0;
  if (trim_blanks(value).empty()) {
    return out;
  }
  while (true) {
    const std::size_t comma = value.find(',');
    SFS_RETURN_IF_ERROR(add_pair(value.substr(0, comma), out, value_bytes));
    if (comma == std::string_view::npos) {
      return out;
    }
    value.remove_prefix(comma + 1);
  }
}

std::string_view value_of(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) {
      return v;  // never null, even empty: add_pair tells absent from empty by it
    }
  }
  return {};
}

bool is_patch_type(std::string_view content_type) {
  const std::string_view type = trim_blanks(content_type.substr(0, content_type.find(';')));
  return type.size() == kPatchType.size() &&
         std::equal(type.begin(), type.end(), kPatchType.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

bool is_upload_id(std::string_view text) {
  return text.size() == kIdHexLength && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<std::string> target_path(std::string_view folder, std::string_view filename,
                                std::size_t max_path_bytes) {
  if (filename.empty() || filename.find('/') != std::string_view::npos) {
    return bad("Upload-Metadata: filename must be one name, without '/'");
  }
  if (auto ok = check_component(filename); !ok) {
    return bad("Upload-Metadata: filename: " + ok.error().message);
  }
  while (!folder.empty() && folder.front() == '/') {
    folder.remove_prefix(1);
  }
  while (!folder.empty() && folder.back() == '/') {
    folder.remove_suffix(1);
  }
  std::string path;
  for (std::string_view rest = folder; !rest.empty();) {
    const std::size_t slash = rest.find('/');
    const std::string_view name = rest.substr(0, slash);
    if (auto ok = check_component(name); !ok) {
      return bad("Upload-Metadata: folder: " + ok.error().message);
    }
    path.append(name).push_back('/');
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  path.append(filename);
  if (path.size() > max_path_bytes) {
    return bad("path longer than " + std::to_string(max_path_bytes) + " bytes");
  }
  return path;
}

}  // namespace sfs::tus
