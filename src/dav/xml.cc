#include "dav/xml.h"

namespace sfs::dav {

std::string XmlElement::text() const { return {}; }

std::string_view XmlElement::attribute(const PropName& /*name*/) const { return {}; }

const XmlElement* XmlElement::child(const PropName& /*name*/) const { return nullptr; }

Result<XmlElement> parse_xml(std::string_view /*body*/) {
  return make_error(Errc::kInternal, "parse_xml: not implemented yet");
}

std::string serialize_content(const XmlElement& /*element*/) { return {}; }

std::string xml_escape(std::string_view text) { return std::string(text); }

}  // namespace sfs::dav
