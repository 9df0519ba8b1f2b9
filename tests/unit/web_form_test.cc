#include <gtest/gtest.h>

#include "web/form.h"
#include "web/json.h"

namespace sfs::web {
namespace {

TEST(WebForm, DecodesPlusAndPercentEscapes) {
  auto form = parse_form("path=a%2Fb%20c&name=x+y&&empty=&bare");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 4U);
  EXPECT_EQ(*form_value(*form, "path"), "a/b c");
  EXPECT_EQ(*form_value(*form, "name"), "x y");
  EXPECT_EQ(*form_value(*form, "empty"), "");
  EXPECT_EQ(*form_value(*form, "bare"), "");
  EXPECT_EQ(form_value(*form, "other"), nullptr);
}

TEST(WebForm, RefusesMalformedEscapesAndTooMuch) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "%g1=b"}) {
    auto form = parse_form(bad);
    ASSERT_FALSE(form.ok()) << bad;
    EXPECT_EQ(form.error().code, Errc::kBadRequest);
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxFormFields; ++i) {
    many += "f=1&";
  }
  EXPECT_FALSE(parse_form(many).ok());
  EXPECT_FALSE(parse_form(std::string(kMaxFormBytes + 1, 'a')).ok());
}

TEST(WebForm, FindsACookieByItsExactName) {
  EXPECT_EQ(cookie_value("a=1; __Host-sfs=abc; b=2", "__Host-sfs"), "abc");
  EXPECT_EQ(cookie_value("__Host-sfs=\"q\"", "__Host-sfs"), "q");
  EXPECT_EQ(cookie_value("x__Host-sfs=1; __Host-sfsx=2", "__Host-sfs"), std::nullopt);
  EXPECT_EQ(cookie_value("", "__Host-sfs"), std::nullopt);
}

TEST(WebForm, AttachmentNamesCannotBreakTheHeader) {
  EXPECT_EQ(attachment_disposition("a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
  EXPECT_EQ(attachment_disposition("q\"\\\r\n\xc3\xa9"),
            "attachment; filename=\"q______\"; filename*=UTF-8''q%22%5C%0D%0A%C3%A9");
}

TEST(WebJson, EscapesQuotesControlsMarkupAndBadUtf8) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("\n\x01"), "\"\\u000a\\u0001\"");
  EXPECT_EQ(json_string("<script>&"), "\"\\u003cscript\\u003e\\u0026\"");
  EXPECT_EQ(json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_string("\xff\xc3"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
}

}  // namespace
}  // namespace sfs::web
