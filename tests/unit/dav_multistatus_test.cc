#include <gtest/gtest.h>

#include <string>

#include "dav/multistatus.h"
#include "dav/proppatch.h"
#include "dav/xml.h"

namespace sfs::dav {
namespace {

const PropName kDav(std::string_view name) { return PropName{"DAV:", std::string(name)}; }

TEST(DavMultistatusTest, PropfindResponse) {
  MultistatusWriter w;
  Response r{.href = "/dav/a b&c.txt"};
  r.propstats.push_back({.status = 200,
                         .props = {text_prop("DAV:", "getetag", "\"e<1>\""),
                                   raw_prop("DAV:", "resourcetype", "<D:collection/>")}});
  r.propstats.push_back({.status = 404, .props = {empty_prop("urn:x", "missing")}});
  w.add(r);
  std::string body = w.take() + w.finish();
  EXPECT_NE(body.find("<D:href>/dav/a%20b&amp;c.txt</D:href>"), std::string::npos) << body;
  EXPECT_NE(body.find("<D:status>HTTP/1.1 404 Not Found</D:status>"), std::string::npos);

  auto doc = parse_xml(body);
  ASSERT_TRUE(doc) << doc.error().message << "\n" << body;
  EXPECT_EQ(doc->name, kDav("multistatus"));
  const XmlElement& response = doc->children.at(0);
  ASSERT_EQ(response.children.size(), 3U);  // href, 2 propstats
  const XmlElement& ok_prop = response.children[1].children.at(0);
  EXPECT_EQ(ok_prop.children.at(0).text(), "\"e<1>\"");
  EXPECT_NE(ok_prop.children.at(1).child(kDav("collection")), nullptr);
  const XmlElement& missing = response.children[2].children.at(0).children.at(0);
  EXPECT_EQ(missing.name, (PropName{"urn:x", "missing"}));
}

TEST(DavMultistatusTest, DeadPropertyComesBackAsSet) {
  auto ops = parse_proppatch(
      "<propertyupdate xmlns=\"DAV:\"><set><prop><t:p xmlns:t=\"urn:t\" xml:lang=\"en\">"
      "a<b xmlns=\"urn:b\" k=\"&amp;\">\xE2\x82\xAC</b></t:p></prop></set></propertyupdate>");
  ASSERT_TRUE(ops);
  const PropPatchOp& op = ops->at(0);
  PropValue v = raw_prop(op.name.ns, op.name.name, op.value_xml);
  v.lang = op.lang;
  MultistatusWriter w;
  w.add(Response{.href = "/dav/f", .propstats = {{.status = 200, .props = {v}}}});
  std::string body = w.finish();
  auto doc = parse_xml(body);
  ASSERT_TRUE(doc) << body;
  const XmlElement& p = doc->children.at(0).children.at(1).children.at(0).children.at(0);
  EXPECT_EQ(p.name, (PropName{"urn:t", "p"}));
  EXPECT_EQ(p.attribute({std::string(kXmlNamespace), "lang"}), "en");
  EXPECT_EQ(p.text(), "a");
  EXPECT_EQ(p.children.at(0).name, (PropName{"urn:b", "b"}));
  EXPECT_EQ(p.children.at(0).attribute({"", "k"}), "&");
  EXPECT_EQ(p.children.at(0).text(), "\xE2\x82\xAC");
}

TEST(DavMultistatusTest, PropertyInNoNamespace) {
  // litmus propnullns: <nonamespace xmlns="">randomvalue</nonamespace>.
  auto ops = parse_proppatch(
      "<propertyupdate xmlns=\"DAV:\"><set><prop><nonamespace xmlns=\"\">randomvalue"
      "</nonamespace></prop></set></propertyupdate>");
  ASSERT_TRUE(ops);
  const PropPatchOp& op = ops->at(0);
  EXPECT_EQ(op.name, (PropName{"", "nonamespace"}));
  MultistatusWriter w;
  w.add(Response{.href = "/dav/f",
                 .propstats = {{.props = {raw_prop(op.name.ns, op.name.name, op.value_xml)}}}});
  auto doc = parse_xml(w.finish());
  ASSERT_TRUE(doc);
  const XmlElement& p = doc->children.at(0).children.at(1).children.at(0).children.at(0);
  EXPECT_EQ(p.name, (PropName{"", "nonamespace"}));
  EXPECT_EQ(p.text(), "randomvalue");
}

TEST(DavMultistatusTest, StatusResponsesAndErrors) {
  MultistatusWriter w;
  w.add(Response{.href = "/dav/locked", .status = 423, .error = "lock-token-submitted"});
  w.add(Response{.href = "/dav/p",
                 .propstats = {{.status = 403,
                                .props = {empty_prop("DAV:", "getetag")},
                                .error = "cannot-modify-protected-property"}}});
  std::string body = w.finish();
  auto doc = parse_xml(body);
  ASSERT_TRUE(doc) << body;
  const XmlElement& first = doc->children.at(0);
  EXPECT_EQ(first.child(kDav("status"))->text(), "HTTP/1.1 423 Locked");
  EXPECT_NE(first.child(kDav("error"))->child(kDav("lock-token-submitted")), nullptr);
  const XmlElement& ps = doc->children.at(1).children.at(1);
  EXPECT_NE(ps.child(kDav("error"))->child(kDav("cannot-modify-protected-property")), nullptr);
}

TEST(DavMultistatusTest, TakeStreamsThePieces) {
  MultistatusWriter w;
  std::string all = w.take();
  for (int i = 0; i < 3; ++i) {
    w.add(Response{.href = "/dav/" + std::to_string(i), .status = 200});
    std::string piece = w.take();
    EXPECT_NE(piece.find("/dav/" + std::to_string(i)), std::string::npos);
    all += piece;
  }
  EXPECT_EQ(w.take(), "");
  all += w.finish();
  auto doc = parse_xml(all);
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->children.size(), 3U);
}

TEST(DavMultistatusTest, StatusLine) {
  EXPECT_EQ(status_line(200), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(424), "HTTP/1.1 424 Failed Dependency");
}

TEST(DavMultistatusTest, LockBodies) {
  ActiveLock lock{.scope = LockScope::kShared,
                  .depth = Depth::kInfinity,
                  .owner_xml = "<href xmlns=\"DAV:\">me</href>",
                  .timeout = std::chrono::seconds(600),
                  .token = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                  .root = "/dav/dir one"};
  std::string body = lock_response_body(lock);
  auto doc = parse_xml(body);
  ASSERT_TRUE(doc) << body;
  EXPECT_EQ(doc->name, kDav("prop"));
  const XmlElement* active = doc->child(kDav("lockdiscovery"))->child(kDav("activelock"));
  ASSERT_NE(active, nullptr);
  EXPECT_NE(active->child(kDav("lockscope"))->child(kDav("shared")), nullptr);
  EXPECT_EQ(active->child(kDav("depth"))->text(), "infinity");
  EXPECT_EQ(active->child(kDav("timeout"))->text(), "Second-600");
  EXPECT_EQ(active->child(kDav("locktoken"))->child(kDav("href"))->text(), lock.token);
  EXPECT_EQ(active->child(kDav("lockroot"))->child(kDav("href"))->text(), "/dav/dir%20one");
  EXPECT_EQ(active->child(kDav("owner"))->child(kDav("href"))->text(), "me");

  MultistatusWriter w;
  w.add(Response{
      .href = "/dav/x",
      .propstats = {{.props = {raw_prop("DAV:", "lockdiscovery", lockdiscovery_xml({lock, lock})),
                               raw_prop("DAV:", "supportedlock", supportedlock_xml())}}}});
  auto ms = parse_xml(w.finish());
  ASSERT_TRUE(ms);
  const XmlElement& prop = ms->children.at(0).children.at(1).children.at(0);
  EXPECT_EQ(prop.children.at(0).children.size(), 2U);
  EXPECT_EQ(prop.children.at(1).children.size(), 2U);
}

TEST(DavMultistatusTest, ErrorBody) {
  std::string body = error_body("propfind-finite-depth");
  auto doc = parse_xml(body);
  ASSERT_TRUE(doc) << body;
  EXPECT_EQ(doc->name, kDav("error"));
  EXPECT_NE(doc->child(kDav("propfind-finite-depth")), nullptr);
  auto with_href = parse_xml(error_body("lock-token-submitted", {"/dav/a<b"}));
  ASSERT_TRUE(with_href);
  EXPECT_EQ(with_href->children.at(0).child(kDav("href"))->text(), "/dav/a%3Cb");
}

}  // namespace
}  // namespace sfs::dav
