#include "dav/xml.h"

#include <expat.h>

#include <memory>
#include <optional>
#include <type_traits>

namespace sfs::dav {
namespace {

// Expat joins a resolved name as "uri<sep>local". 0x01 cannot occur in an
// XML 1.0 document, so it cannot be part of a URI or a name.
constexpr char kNameSeparator = '\x01';

PropName split_name(const XML_Char* joined) {
  std::string_view s(joined);
  auto cut = s.rfind(kNameSeparator);
  if (cut == std::string_view::npos) {
    return PropName{"", std::string(s)};
  }
  return PropName{std::string(s.substr(0, cut)), std::string(s.substr(cut + 1))};
}

// What the expat callbacks build: the tree, the path to the open element and
// the first reason to stop.
struct Builder {
  XML_Parser parser = nullptr;
  XmlElement root;
  bool has_root = false;
  std::vector<XmlElement*> open;
  std::size_t elements = 0;
  std::optional<Error> error;

  void stop(Errc code, std::string message) {
    if (!error) {
      error = make_error(code, std::move(message));
    }
    XML_StopParser(parser, XML_FALSE);
  }
};

XmlElement* new_element(Builder& b) {
  if (b.open.empty()) {
    b.has_root = true;
    return &b.root;
  }
  XmlElement* parent = b.open.back();
  parent->nodes.push_back({false, parent->children.size()});
  return &parent->children.emplace_back();
}

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char** attributes) {
  auto& b = *static_cast<Builder*>(data);
  if (b.open.size() >= static_cast<std::size_t>(kMaxXmlDepth)) {
    return b.stop(Errc::kTooLarge, "XML body nests deeper than " + std::to_string(kMaxXmlDepth));
  }
  if (++b.elements > kMaxXmlElements) {
    return b.stop(Errc::kTooLarge,
                  "XML body has more than " + std::to_string(kMaxXmlElements) + " elements");
  }
  XmlElement* e = new_element(b);
  e->name = split_name(name);
  for (const XML_Char** a = attributes; a[0] != nullptr; a += 2) {
    e->attributes.push_back({split_name(a[0]), std::string(a[1])});
  }
  b.open.push_back(e);
}

void XMLCALL on_end(void* data, const XML_Char* /*name*/) {
  auto& b = *static_cast<Builder*>(data);
  if (!b.open.empty()) {
    b.open.pop_back();
  }
}

void XMLCALL on_text(void* data, const XML_Char* s, int len) {
  auto& b = *static_cast<Builder*>(data);
  if (b.open.empty() || len <= 0) {
    return;
  }
  XmlElement* e = b.open.back();
  if (e->nodes.empty() || !e->nodes.back().is_text) {
    e->nodes.push_back({true, e->texts.size()});
    e->texts.emplace_back();
  }
  e->texts.back().append(s, static_cast<std::size_t>(len));
}

// A DOCTYPE is how entities (billion laughs, external files) get declared;
// no WebDAV client sends one, so any is refused before it is read.
void XMLCALL on_doctype(void* data, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                        const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
  static_cast<Builder*>(data)->stop(Errc::kBadRequest, "XML body has a DOCTYPE (refused)");
}

void XMLCALL on_entity(void* data, const XML_Char* /*name*/, int /*is_parameter*/,
                       const XML_Char* /*value*/, int /*length*/, const XML_Char* /*base*/,
                       const XML_Char* /*sysid*/, const XML_Char* /*pubid*/,
                       const XML_Char* /*notation*/) {
  static_cast<Builder*>(data)->stop(Errc::kBadRequest, "XML body declares an entity (refused)");
}

struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserFree>;

ParserPtr make_parser(Builder& b) {
  ParserPtr p(XML_ParserCreateNS(nullptr, kNameSeparator));
  SFS_CHECK(p != nullptr);  // out of memory
  b.parser = p.get();
  XML_SetUserData(p.get(), &b);
  XML_SetElementHandler(p.get(), on_start, on_end);
  XML_SetCharacterDataHandler(p.get(), on_text);
  XML_SetStartDoctypeDeclHandler(p.get(), on_doctype);
  XML_SetEntityDeclHandler(p.get(), on_entity);
  XML_SetParamEntityParsing(p.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  return p;
}

}  // namespace

std::string XmlElement::text() const {
  std::string all;
  for (const std::string& t : texts) {
    all += t;
  }
  return all;
}

std::string_view XmlElement::attribute(const PropName& wanted) const {
  for (const XmlAttribute& a : attributes) {
    if (a.name == wanted) {
      return a.value;
    }
  }
  return {};
}

const XmlElement* XmlElement::child(const PropName& wanted) const {
  for (const XmlElement& c : children) {
    if (c.name == wanted) {
      return &c;
    }
  }
  return nullptr;
}

Result<XmlElement> parse_xml(std::string_view body) {
  if (body.size() > kMaxXmlBodyBytes) {
    return make_error(Errc::kTooLarge,
                      "XML body is larger than " + std::to_string(kMaxXmlBodyBytes) + " bytes");
  }
  Builder b;
  ParserPtr parser = make_parser(b);
  auto status = XML_Parse(parser.get(), body.data(), static_cast<int>(body.size()), XML_TRUE);
  if (b.error) {
    return *std::move(b.error);
  }
  if (status != XML_STATUS_OK) {
    return make_error(Errc::kBadRequest,
                      "XML body, line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) +
                          ": " + XML_ErrorString(XML_GetErrorCode(parser.get())));
  }
  if (!b.has_root) {
    return make_error(Errc::kBadRequest, "XML body has no element");
  }
  return std::move(b.root);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

void serialize_element(const XmlElement& e, std::string_view default_ns, std::string& out);

void serialize_nodes(const XmlElement& e, std::string_view default_ns, std::string& out) {
  for (const XmlElement::Node& n : e.nodes) {
    if (n.is_text) {
      out += xml_escape(e.texts[n.index]);
    } else {
      serialize_element(e.children[n.index], default_ns, out);
    }
  }
}

// Attributes in a namespace get a prefix of their own (a0, a1, ...), except
// xml:, which is bound everywhere.
void serialize_attributes(const XmlElement& e, std::string& out) {
  int prefixes = 0;
  for (const XmlAttribute& a : e.attributes) {
    out += ' ';
    if (a.name.ns == kXmlNamespace) {
      out += "xml:";
    } else if (!a.name.ns.empty()) {
      std::string prefix = "a" + std::to_string(prefixes++);
      out.append("xmlns:").append(prefix).append("=\"").append(xml_escape(a.name.ns));
      out.append("\" ").append(prefix).append(":");
    }
    out += a.name.name + "=\"" + xml_escape(a.value) + "\"";
  }
}

// Elements use the default namespace, declared wherever it changes, so the
// output needs no prefix bindings from its surroundings.
void serialize_element(const XmlElement& e, std::string_view default_ns, std::string& out) {
  out += '<';
  out += e.name.name;
  if (e.name.ns != default_ns) {
    out += " xmlns=\"" + xml_escape(e.name.ns) + "\"";
  }
  serialize_attributes(e, out);
  if (e.nodes.empty()) {
    out += "/>";
    return;
  }
  out += '>';
  serialize_nodes(e, e.name.ns, out);
  out += "</" + e.name.name + ">";
}

}  // namespace

std::string serialize_content(const XmlElement& element) {
  std::string out;
  // The surrounding default namespace is unknown: a sentinel that no URI
  // equals makes the first level of elements declare theirs.
  serialize_nodes(element, std::string_view("\x01", 1), out);
  return out;
}

}  // namespace sfs::dav
