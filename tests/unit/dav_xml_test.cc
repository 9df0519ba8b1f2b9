#include <gtest/gtest.h>

#include <string>

#include "dav/propfind.h"
#include "dav/xml.h"

namespace sfs::dav {
namespace {

const PropName kDavProp{"DAV:", "prop"};

TEST(DavXmlTest, ResolvesNamespacesWhateverThePrefix) {
  for (const char* body :
       {"<D:prop xmlns:D=\"DAV:\"/>", "<x:prop xmlns:x=\"DAV:\"/>", "<prop xmlns=\"DAV:\"/>"}) {
    auto root = parse_xml(body);
    ASSERT_TRUE(root) << body << ": " << root.error().message;
    EXPECT_EQ(root->name, kDavProp) << body;
  }
  auto no_ns = parse_xml("<prop/>");
  ASSERT_TRUE(no_ns);
  EXPECT_EQ(no_ns->name, (PropName{"", "prop"}));
}

TEST(DavXmlTest, UnboundPrefixIsAnError) {
  auto r = parse_xml("<D:prop/>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
}

TEST(DavXmlTest, KeepsTextAndChildrenInOrder) {
  auto root = parse_xml("<a xmlns=\"urn:x\">one<b>two</b>three</a>");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->text(), "onethree");
  ASSERT_EQ(root->children.size(), 1U);
  EXPECT_EQ(root->children[0].text(), "two");
  ASSERT_EQ(root->nodes.size(), 3U);
  EXPECT_TRUE(root->nodes[0].is_text);
  EXPECT_FALSE(root->nodes[1].is_text);
  EXPECT_NE(root->child({"urn:x", "b"}), nullptr);
  EXPECT_EQ(root->child({"", "b"}), nullptr);
}

TEST(DavXmlTest, RefusesAnyDoctype) {
  const char* bombs[] = {
      "<!DOCTYPE a><a/>",
      "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
      "<propfind xmlns=\"DAV:\">&lol2;</propfind>",
      "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
      "<!DOCTYPE a SYSTEM \"http://127.0.0.1/evil.dtd\"><a/>",
  };
  for (const char* body : bombs) {
    auto r = parse_xml(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
    EXPECT_NE(r.error().message.find("DOCTYPE"), std::string::npos) << r.error().message;
  }
}

TEST(DavXmlTest, BillionLaughsIsRefusedBeforeExpansion) {
  std::string body = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"ha\">";
  for (int i = 1; i < 10; ++i) {
    body += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) {
      body += "&l" + std::to_string(i - 1) + ";";
    }
    body += "\">";
  }
  body += "]><propfind xmlns=\"DAV:\">&l9;</propfind>";
  EXPECT_FALSE(parse_xml(body));
}

TEST(DavXmlTest, UndeclaredEntityIsAnError) {
  EXPECT_FALSE(parse_xml("<a>&nope;</a>"));
  auto ok = parse_xml("<a>&lt;&amp;&#233;</a>");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->text(), "<&\xC3\xA9");
}

std::string nested(int depth) {
  std::string body;
  for (int i = 0; i < depth; ++i) {
    body += "<a>";
  }
  for (int i = 0; i < depth; ++i) {
    body += "</a>";
  }
  return body;
}

TEST(DavXmlTest, DepthIsBounded) {
  EXPECT_TRUE(parse_xml(nested(kMaxXmlDepth)));
  auto r = parse_xml(nested(kMaxXmlDepth + 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
  // Far deeper than any stack would take if the limit were missing.
  EXPECT_FALSE(parse_xml(nested(100'000)));
}

TEST(DavXmlTest, ElementCountIsBounded) {
  std::string body = "<a>";
  for (std::size_t i = 0; i < kMaxXmlElements; ++i) {
    body += "<b/>";
  }
  body += "</a>";
  auto r = parse_xml(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
}

TEST(DavXmlTest, BodySizeIsBounded) {
  std::string body = "<a>" + std::string(kMaxXmlBodyBytes, 'x') + "</a>";
  auto r = parse_xml(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
}

TEST(DavXmlTest, HugeAttributeWithinTheBodyLimitIsParsed) {
  std::string value(kMaxXmlBodyBytes - 100, 'v');
  auto r = parse_xml("<a b=\"" + value + "\"/>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->attribute({"", "b"}).size(), value.size());
}

TEST(DavXmlTest, BadUtf8IsAnError) {
  EXPECT_FALSE(parse_xml("<a>\xC3\x28</a>"));
  EXPECT_FALSE(parse_xml("<a>\xFF</a>"));
  EXPECT_FALSE(parse_xml("<a>\xED\xA0\x80</a>"));  // a surrogate
  EXPECT_FALSE(parse_xml(std::string("<a>\0</a>", 8)));
}

TEST(DavXmlTest, MalformedDocumentsAreErrorsWithOneLineMessages) {
  for (const char* body : {"", "   ", "<a>", "<a></b>", "<a/><b/>", "text", "<a x='1' x='2'/>"}) {
    auto r = parse_xml(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
}

TEST(DavXmlTest, SerializeContentStandsAlone) {
  auto root = parse_xml(
      "<D:x xmlns:D=\"DAV:\" xmlns:e=\"urn:e\">text &amp; <e:y a=\"1\" xml:lang=\"fr\">"
      "<z xmlns=\"\">in</z></e:y><!-- dropped --></D:x>");
  ASSERT_TRUE(root);
  std::string xml = serialize_content(*root);
  EXPECT_EQ(xml, "text &amp; <y xmlns=\"urn:e\" a=\"1\" xml:lang=\"fr\"><z xmlns=\"\">in</z></y>");
  // It parses again on its own, to the same tree.
  auto again = parse_xml("<w>" + xml + "</w>");
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(again->children.size(), 1U);
  EXPECT_EQ(again->children[0].name, (PropName{"urn:e", "y"}));
  EXPECT_EQ(again->children[0].children[0].name, (PropName{"", "z"}));
}

TEST(DavXmlTest, SerializeGivesNamespacedAttributesAPrefix) {
  auto root = parse_xml("<r><e xmlns:p=\"urn:p\" p:k=\"v&quot;\"/></r>");
  ASSERT_TRUE(root);
  std::string xml = serialize_content(*root);
  auto again = parse_xml("<w>" + xml + "</w>");
  ASSERT_TRUE(again) << xml;
  EXPECT_EQ(again->children[0].attribute({"urn:p", "k"}), "v\"");
}

TEST(DavXmlTest, Escape) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
  EXPECT_EQ(xml_escape("caf\xC3\xA9"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace sfs::dav
