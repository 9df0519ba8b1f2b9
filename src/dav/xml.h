#pragma once
// A small, bounded XML reader for WebDAV request bodies (expat underneath).
//
// Request bodies come from the network, so the parser refuses what an
// attacker uses to make an XML parser work hard: any DOCTYPE (so no entity
// declarations, no billion laughs, no external entities), nesting deeper than
// kMaxXmlDepth, more than kMaxXmlElements elements and bodies larger than
// kMaxXmlBodyBytes. Names are resolved to namespace URIs, so `DAV:` elements
// are matched whatever prefix the client chose.
//
//   SFS_ASSIGN_OR_RETURN(XmlElement root, parse_xml(body));
//   if (root.name != PropName{"DAV:", "propfind"}) ...
//
// Every failure is Errc::kBadRequest (kTooLarge for the size, depth and
// count limits) with a one-line message; the HTTP door answers 400 (or 413).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dav/types.h"

namespace sfs::dav {

// Bounds on a request body: generous for every real client (litmus, Windows,
// macOS, davfs2, rclone send a few hundred bytes), small for a bomb.
inline constexpr std::size_t kMaxXmlBodyBytes = 1 << 20;
inline constexpr int kMaxXmlDepth = 64;
inline constexpr std::size_t kMaxXmlElements = 10'000;

// The namespace the `xml:` prefix is bound to (for xml:lang).
inline constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

struct XmlAttribute {
  PropName name;  // resolved like element names; no namespace for plain ones
  std::string value;
};

// A parsed element. Mixed content keeps its order: `children` and `text`
// interleave as `nodes` says, so a dead property's value can be written back
// as the client sent it (serialize_content).
struct XmlElement {
  struct Node {
    bool is_text = false;
    std::size_t index = 0;  // into texts or children
  };
  PropName name;
  std::vector<XmlAttribute> attributes;
  std::vector<XmlElement> children;
  std::vector<std::string> texts;
  std::vector<Node> nodes;

  // The concatenated character data directly inside this element.
  std::string text() const;
  // The value of an attribute, or "" when absent.
  std::string_view attribute(const PropName& name) const;
  // The first child with this name, or nullptr.
  const XmlElement* child(const PropName& name) const;
};

// Parses a whole document (UTF-8, or an encoding expat knows and declares).
// An empty or whitespace-only body is an error: the callers treat an empty
// body as its own case before parsing.
Result<XmlElement> parse_xml(std::string_view body);

// Writes the content of `element` (its text and children, not its own tags)
// back as XML that stands alone: each element carries the xmlns
// declarations it needs, text and attributes are escaped. Used to keep a
// dead property's value (PROPPATCH) and an owner (LOCK) verbatim enough.
std::string serialize_content(const XmlElement& element);

// Escapes &, <, >, " and ' for text and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace sfs::dav
