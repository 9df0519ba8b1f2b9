#pragma once
// PROPFIND request bodies (RFC 4918 9.1, 14.20).
//
//   SFS_ASSIGN_OR_RETURN(PropfindRequest req, parse_propfind(body));
//   switch (req.kind) { case PropfindKind::kProp: ... req.props ... }
//
// An empty body means allprop. Fails (kBadRequest, kTooLarge) as parse_xml
// does, and when the root is not DAV:propfind or holds none of allprop,
// propname and prop (or more than one of them).

#include <string_view>
#include <vector>

#include "base/result.h"
#include "dav/types.h"

namespace sfs::dav {

enum class PropfindKind {
  kAllProp,   // every live property the server defines, and every dead one
  kPropName,  // the names only
  kProp,      // the properties listed in `props`
};

struct PropfindRequest {
  PropfindKind kind = PropfindKind::kAllProp;
  // kProp: the properties asked for, in order, duplicates kept.
  // kAllProp: the names of DAV:include (extra properties wanted too).
  std::vector<PropName> props;
};

Result<PropfindRequest> parse_propfind(std::string_view body);

}  // namespace sfs::dav
