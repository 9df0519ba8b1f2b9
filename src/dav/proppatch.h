#pragma once
// PROPPATCH request bodies (RFC 4918 9.2, 14.26).
//
//   SFS_ASSIGN_OR_RETURN(std::vector<PropPatchOp> ops, parse_proppatch(body));
//   for (const PropPatchOp& op : ops) { ... }   // in document order
//
// The instructions must be applied in order, all or none (9.2). A set's
// value is kept as XML text (PropPatchOp::value_xml) that the multistatus
// writer gives back verbatim inside the property's element, with its
// xml:lang, so nested elements, namespaces and non-ASCII text survive.
//
// Fails (kBadRequest, kTooLarge) as parse_xml does, and when the root is not
// DAV:propertyupdate, when it holds no set/remove, or a set/remove without a
// DAV:prop.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dav/types.h"

namespace sfs::dav {

struct PropPatchOp {
  enum class Kind { kSet, kRemove };
  Kind kind = Kind::kSet;
  PropName name;
  // kSet: the property element's content as standalone XML (see
  // serialize_content in xml.h); "" for an empty value and for kRemove.
  std::string value_xml;
  // kSet: the xml:lang in scope on the property element, or "".
  std::string lang;
};

Result<std::vector<PropPatchOp>> parse_proppatch(std::string_view body);

}  // namespace sfs::dav
