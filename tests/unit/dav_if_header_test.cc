#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dav/if_header.h"

namespace sfs::dav {
namespace {

const std::string kToken = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
const std::string kOther = "urn:uuid:181d4fae-7dec-11d0-a765-00a0c91e6bf2";

TEST(DavIfHeaderTest, UntaggedLists) {
  auto h = parse_if_header("(<" + kToken + "> [\"I am an ETag\"]) ([\"I am another ETag\"])");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_FALSE(h->tagged);
  ASSERT_EQ(h->groups.size(), 1U);
  EXPECT_EQ(h->groups[0].resource, "");
  ASSERT_EQ(h->groups[0].lists.size(), 2U);
  const auto& first = h->groups[0].lists[0].conditions;
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].kind, IfCondition::Kind::kStateToken);
  EXPECT_EQ(first[0].value, kToken);
  EXPECT_EQ(first[1].kind, IfCondition::Kind::kEntityTag);
  EXPECT_EQ(first[1].value, "\"I am an ETag\"");
}

TEST(DavIfHeaderTest, NotAndNoLock) {
  auto h = parse_if_header("(Not <DAV:no-lock> [W/\"weak\"])");
  ASSERT_TRUE(h);
  const auto& c = h->groups[0].lists[0].conditions;
  ASSERT_EQ(c.size(), 2U);
  EXPECT_TRUE(c[0].negated);
  EXPECT_EQ(c[0].value, "DAV:no-lock");
  EXPECT_FALSE(c[1].negated);
  EXPECT_EQ(c[1].value, "W/\"weak\"");
}

TEST(DavIfHeaderTest, TaggedLists) {
  auto h = parse_if_header("<http://www.example.com/specs/> (<" + kToken +
                           ">) <http://www.example.com/other> ([\"e\"]) (Not <" + kOther + ">)");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(h->tagged);
  ASSERT_EQ(h->groups.size(), 2U);
  EXPECT_EQ(h->groups[0].resource, "http://www.example.com/specs/");
  EXPECT_EQ(h->groups[1].lists.size(), 2U);
  EXPECT_EQ(submitted_tokens(*h), (std::vector<std::string>{kToken, kOther}));
}

TEST(DavIfHeaderTest, BadSyntax) {
  for (const std::string& v : std::vector<std::string>{
           "", "   ", "()", "(", "(<a>", "<http://x/>", "(<a>) <http://x/> (<b>)",
           "<http://x/> (<a>) (<b>) ([\"e\"]) x", "(Nope <a>)", "(<>)", "([e])", "([\"e\")",
           "(<a b>)", "(<a>) junk"}) {
    auto h = parse_if_header(v);
    ASSERT_FALSE(h) << v;
    EXPECT_EQ(h.error().code, Errc::kBadRequest) << v;
  }
}

TEST(DavIfHeaderTest, Bounded) {
  std::string many;
  for (std::size_t i = 0; i <= kMaxIfConditions; ++i) {
    many += "(<a>)";
  }
  auto h = parse_if_header(many);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::kTooLarge);
  auto long_one = parse_if_header("(<" + std::string(kMaxIfHeaderBytes, 'a') + ">)");
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.error().code, Errc::kTooLarge);
}

// A fixed set of resources for evaluation.
std::optional<ResourceState> state_of(std::string_view resource) {
  static const std::map<std::string, ResourceState, std::less<>> kStates = {
      {"", ResourceState{"\"abc\"", {kToken}}},
      {"/dav/other", ResourceState{"\"xyz\"", {}}},
  };
  auto it = kStates.find(resource);
  if (it == kStates.end()) {
    return std::nullopt;
  }
  return it->second;
}

bool holds(const std::string& value) {
  auto h = parse_if_header(value);
  SFS_CHECK(h.ok());
  return if_header_holds(*h, state_of);
}

TEST(DavIfHeaderTest, Evaluation) {
  EXPECT_TRUE(holds("(<" + kToken + ">)"));
  EXPECT_FALSE(holds("(<" + kOther + ">)"));
  EXPECT_TRUE(holds("(<" + kOther + ">) (<" + kToken + ">)"));  // any list
  EXPECT_FALSE(holds("(<" + kToken + "> [\"nope\"])"));         // every condition
  EXPECT_TRUE(holds("(<" + kToken + "> [\"abc\"])"));
  EXPECT_FALSE(holds("([W/\"abc\"])"));  // weak never matches strongly
  EXPECT_FALSE(holds("(<DAV:no-lock>)"));
  EXPECT_TRUE(holds("(Not <DAV:no-lock>)"));
  // litmus cond_put_corrupt_token: a bad token fails, unless or'd with Not no-lock.
  EXPECT_FALSE(holds("(<" + kToken + "x>)"));
  EXPECT_TRUE(holds("(<" + kToken + "x>) (Not <DAV:no-lock>)"));
  EXPECT_TRUE(holds("</dav/other> ([\"xyz\"])"));
  EXPECT_FALSE(holds("</dav/missing> ([\"xyz\"])"));
  EXPECT_TRUE(holds("</dav/missing> (Not [\"xyz\"])"));
}

}  // namespace
}  // namespace sfs::dav
