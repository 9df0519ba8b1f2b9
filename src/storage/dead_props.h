#pragma once
// Dead properties (WebDAV's PROPPATCH): name/value pairs a client stores on
// a file or a directory and the server keeps without interpreting them. The
// storage backends keep them with the resource (a rename carries them, a
// removal drops them, a commit over a file keeps the old file's); this is
// the part every backend shares: the changes, the limits and the record
// the POSIX backend stores in one extended attribute.
//
//   std::vector<DeadProp> now = ...;            // what the resource has
//   SFS_ASSIGN_OR_RETURN(now, apply_prop_changes(std::move(now), changes));
//   std::string record = encode_dead_props(now);   // and back:
//   SFS_ASSIGN_OR_RETURN(auto again, decode_dead_props(record));

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::storage {

// One property as the client gave it: the namespace URI and local name,
// the xml:lang in scope ("" for none) and the value as XML text, kept
// byte for byte.
struct DeadProp {
  std::string ns;
  std::string name;
  std::string lang;
  std::string value_xml;

  friend bool operator==(const DeadProp&, const DeadProp&) = default;
};

// One instruction of a PROPPATCH: set (add or replace `prop`) or remove
// (by prop.ns and prop.name; removing what is not there is no error).
struct PropChange {
  bool remove = false;
  DeadProp prop;
};

// What one resource may hold: at most kMaxDeadProps properties whose
// encoded record is at most kMaxDeadPropBytes. The byte bound keeps the
// record inside the 4 KiB that ext4 gives one inode's extended attributes,
// beside the digest (docs/storage.md).
inline constexpr std::size_t kMaxDeadProps = 64;
inline constexpr std::size_t kMaxDeadPropBytes = 3072;

// Applies `changes` in order to `props` (which keep their order; a new
// name goes last). kTooLarge "too many dead properties..." or "dead
// properties too large..." when the result breaks the limits; then
// nothing is to be stored (all or nothing).
Result<std::vector<DeadProp>> apply_prop_changes(std::vector<DeadProp> props,
                                                 const std::vector<PropChange>& changes);

// The record: a version line, then per property four length-prefixed
// fields ("<decimal length>:<bytes>"). Empty for no properties.
std::string encode_dead_props(const std::vector<DeadProp>& props);
// Reads a record; kIo "damaged dead-property record" when malformed.
Result<std::vector<DeadProp>> decode_dead_props(std::string_view record);

}  // namespace sfs::storage
