#include "dav/proppatch.h"

#include "dav/xml.h"

namespace sfs::dav {
namespace {

bool is_dav(const XmlElement& e, std::string_view name) {
  return e.name.ns == kDavNamespace && e.name.name == name;
}

// xml:lang is inherited (XML 1.0 2.12): the nearest one wins.
std::string lang_of(const XmlElement& e, std::string_view inherited) {
  for (const XmlAttribute& a : e.attributes) {
    if (a.name.ns == kXmlNamespace && a.name.name == "lang") {
      return a.value;
    }
  }
  return std::string(inherited);
}

// Adds one op per property inside the DAV:prop children of a set/remove.
Result<void> add_ops(const XmlElement& instruction, std::string_view lang,
                     std::vector<PropPatchOp>& ops) {
  bool set = is_dav(instruction, "set");
  std::string instruction_lang = lang_of(instruction, lang);
  bool has_prop = false;
  for (const XmlElement& prop : instruction.children) {
    if (!is_dav(prop, "prop")) {
      continue;
    }
    has_prop = true;
    std::string prop_lang = lang_of(prop, instruction_lang);
    for (const XmlElement& p : prop.children) {
      PropPatchOp op{.kind = set ? PropPatchOp::Kind::kSet : PropPatchOp::Kind::kRemove,
                     .name = p.name};
      if (set) {
        op.value_xml = serialize_content(p);
        op.lang = lang_of(p, prop_lang);
      }
      ops.push_back(std::move(op));
    }
  }
  if (!has_prop) {
    return make_error(Errc::kBadRequest, "PROPPATCH body: a set or remove without DAV:prop");
  }
  return {};
}

}  // namespace

Result<std::vector<PropPatchOp>> parse_proppatch(std::string_view body) {
  SFS_ASSIGN_OR_RETURN(XmlElement root, parse_xml(body));
  if (!is_dav(root, "propertyupdate")) {
    return make_error(Errc::kBadRequest, "PROPPATCH body: the root is not DAV:propertyupdate");
  }
  std::string lang = lang_of(root, "");
  std::vector<PropPatchOp> ops;
  bool any = false;
  for (const XmlElement& c : root.children) {
    if (is_dav(c, "set") || is_dav(c, "remove")) {
      any = true;
      SFS_RETURN_IF_ERROR(add_ops(c, lang, ops));
    }
  }
  if (!any) {
    return make_error(Errc::kBadRequest, "PROPPATCH body: no set or remove");
  }
  return ops;
}

}  // namespace sfs::dav
