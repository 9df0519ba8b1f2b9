#include "dav/propfind.h"

#include <string>

#include "dav/xml.h"

namespace sfs::dav {
namespace {

bool is_dav(const XmlElement& e, std::string_view name) {
  return e.name.ns == kDavNamespace && e.name.name == name;
}

std::vector<PropName> names_in(const XmlElement& parent) {
  std::vector<PropName> names;
  names.reserve(parent.children.size());
  for (const XmlElement& c : parent.children) {
    names.push_back(c.name);
  }
  return names;
}

bool only_space(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

Result<PropfindRequest> parse_propfind(std::string_view body) {
  if (only_space(body)) {
    return PropfindRequest{};
  }
  SFS_ASSIGN_OR_RETURN(XmlElement root, parse_xml(body));
  if (!is_dav(root, "propfind")) {
    return make_error(Errc::kBadRequest, "PROPFIND body: the root is not DAV:propfind");
  }
  PropfindRequest req;
  int kinds = 0;
  const XmlElement* include = nullptr;
  // Unknown elements are ignored (RFC 4918 17: extensibility).
  for (const XmlElement& c : root.children) {
    if (is_dav(c, "allprop")) {
      req.kind = PropfindKind::kAllProp;
      ++kinds;
    } else if (is_dav(c, "propname")) {
      req.kind = PropfindKind::kPropName;
      ++kinds;
    } else if (is_dav(c, "prop")) {
      req.kind = PropfindKind::kProp;
      req.props = names_in(c);
      ++kinds;
    } else if (is_dav(c, "include")) {
      include = &c;
    }
  }
  if (kinds != 1) {
    return make_error(Errc::kBadRequest,
                      "PROPFIND body: needs exactly one of allprop, propname and prop");
  }
  if (include != nullptr && req.kind == PropfindKind::kAllProp) {
    req.props = names_in(*include);
  }
  return req;
}

}  // namespace sfs::dav
