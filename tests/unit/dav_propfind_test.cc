#include <gtest/gtest.h>

#include "dav/propfind.h"
#include "dav/proppatch.h"
#include "dav/xml.h"

namespace sfs::dav {
namespace {

TEST(DavPropfindTest, EmptyBodyIsAllprop) {
  for (const char* body : {"", "\r\n  "}) {
    auto r = parse_propfind(body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, PropfindKind::kAllProp);
    EXPECT_TRUE(r->props.empty());
  }
}

TEST(DavPropfindTest, Allprop) {
  auto r = parse_propfind("<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><allprop/></propfind>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, PropfindKind::kAllProp);
}

TEST(DavPropfindTest, AllpropWithInclude) {
  auto r = parse_propfind(
      "<D:propfind xmlns:D=\"DAV:\"><D:allprop/><D:include><D:supported-live-property-set/>"
      "<x:y xmlns:x=\"urn:x\"/></D:include></D:propfind>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, PropfindKind::kAllProp);
  ASSERT_EQ(r->props.size(), 2U);
  EXPECT_EQ(r->props[1], (PropName{"urn:x", "y"}));
}

TEST(DavPropfindTest, Propname) {
  auto r = parse_propfind("<a:propfind xmlns:a=\"DAV:\"><a:propname/></a:propfind>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, PropfindKind::kPropName);
}

TEST(DavPropfindTest, PropListsNamesByNamespace) {
  auto r = parse_propfind(
      "<propfind xmlns=\"DAV:\"><prop><getetag/><displayname/>"
      "<foo xmlns=\"http://example.com/neon/litmus/\"/><bar xmlns=\"\"/></prop></propfind>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, PropfindKind::kProp);
  ASSERT_EQ(r->props.size(), 4U);
  EXPECT_EQ(r->props[0], (PropName{"DAV:", "getetag"}));
  EXPECT_EQ(r->props[2], (PropName{"http://example.com/neon/litmus/", "foo"}));
  EXPECT_EQ(r->props[3], (PropName{"", "bar"}));
}

TEST(DavPropfindTest, PrefixDavWithAnotherNamespaceIsNotDav) {
  // litmus propfind_invalid2: a propfind in a namespace that is not DAV:.
  auto r = parse_propfind("<D:propfind xmlns:D=\"urn:not-dav\"><D:allprop/></D:propfind>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
}

TEST(DavPropfindTest, EmptyPrefixDeclarationIsInvalid) {
  // litmus propfind_invalid2: xmlns:bar="" cannot undeclare a prefix.
  auto r =
      parse_propfind("<propfind xmlns=\"DAV:\"><prop><bar:foo xmlns:bar=\"\"/></prop></propfind>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
}

TEST(DavPropfindTest, InvalidBodies) {
  for (const char* body : {
           "<foo/>",                                                     // litmus propfind_invalid
           "<propfind xmlns=\"DAV:\"/>",                                 // nothing asked
           "<propfind xmlns=\"DAV:\"><allprop/><propname/></propfind>",  // two kinds
           "<propfind xmlns=\"DAV:\"><prop><getetag/></prop>",           // unclosed
           "<!DOCTYPE p [<!ENTITY e \"x\">]><propfind xmlns=\"DAV:\"><allprop/></propfind>",
       }) {
    EXPECT_FALSE(parse_propfind(body)) << body;
  }
}

TEST(DavPropfindTest, UnknownElementsAreIgnored) {
  auto r =
      parse_propfind("<propfind xmlns=\"DAV:\"><x:ext xmlns:x=\"urn:x\"/><propname/></propfind>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, PropfindKind::kPropName);
}

TEST(DavProppatchTest, OrderedSetAndRemove) {
  auto r = parse_proppatch(
      "<?xml version=\"1.0\" encoding=\"utf-8\" ?>"
      "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"http://ns.example.com/standards/z39.50/\">"
      "<D:set><D:prop><Z:Authors><Z:Author>Jim Whitehead</Z:Author>"
      "<Z:Author>Roy Fielding</Z:Author></Z:Authors></D:prop></D:set>"
      "<D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>"
      "<D:set><D:prop><Z:plain>text &amp; more</Z:plain><Z:empty/></D:prop></D:set>"
      "</D:propertyupdate>");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4U);
  const auto& ops = *r;
  const std::string z = "http://ns.example.com/standards/z39.50/";
  EXPECT_EQ(ops[0].kind, PropPatchOp::Kind::kSet);
  EXPECT_EQ(ops[0].name, (PropName{z, "Authors"}));
  EXPECT_EQ(ops[0].value_xml, "<Author xmlns=\"" + z + "\">Jim Whitehead</Author><Author xmlns=\"" +
                                  z + "\">Roy Fielding</Author>");
  EXPECT_EQ(ops[1].kind, PropPatchOp::Kind::kRemove);
  EXPECT_EQ(ops[1].name, (PropName{z, "Copyright-Owner"}));
  EXPECT_EQ(ops[2].value_xml, "text &amp; more");
  EXPECT_EQ(ops[3].value_xml, "");
}

TEST(DavProppatchTest, KeepsXmlLangAndHighUnicode) {
  auto r = parse_proppatch(
      "<propertyupdate xmlns=\"DAV:\" xml:lang=\"en\"><set><prop>"
      "<a xmlns=\"urn:l\">x</a><b xmlns=\"urn:l\" xml:lang=\"de\">\xF0\x90\x80\x80</b>"
      "</prop></set></propertyupdate>");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].lang, "en");
  EXPECT_EQ((*r)[1].lang, "de");
  EXPECT_EQ((*r)[1].value_xml, "\xF0\x90\x80\x80");
}

TEST(DavProppatchTest, ValueWithItsOwnNamespacesRoundTrips) {
  // litmus propvalnspace: a value whose elements declare namespaces.
  auto r = parse_proppatch(
      "<propertyupdate xmlns=\"DAV:\"><set><prop><t:valnspace xmlns:t=\"urn:t\">"
      "<foo xmlns=\"urn:foo\"><bar xmlns:q=\"urn:q\"><q:baz/></bar></foo></t:valnspace>"
      "</prop></set></propertyupdate>");
  ASSERT_TRUE(r);
  auto value = parse_xml("<v>" + (*r)[0].value_xml + "</v>");
  ASSERT_TRUE(value);
  const XmlElement& foo = value->children.at(0);
  EXPECT_EQ(foo.name, (PropName{"urn:foo", "foo"}));
  EXPECT_EQ(foo.children.at(0).name, (PropName{"urn:foo", "bar"}));
  EXPECT_EQ(foo.children.at(0).children.at(0).name, (PropName{"urn:q", "baz"}));
}

TEST(DavProppatchTest, InvalidBodies) {
  for (const char* body : {
           "",
           "<propfind xmlns=\"DAV:\"/>",
           "<propertyupdate xmlns=\"DAV:\"/>",
           "<propertyupdate xmlns=\"DAV:\"><set/></propertyupdate>",
           "<propertyupdate xmlns=\"urn:x\"><set><prop><a/></prop></set></propertyupdate>",
       }) {
    EXPECT_FALSE(parse_proppatch(body)) << body;
  }
}

}  // namespace
}  // namespace sfs::dav
