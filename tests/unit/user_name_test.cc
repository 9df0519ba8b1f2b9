#include "auth/user_name.h"

#include <gtest/gtest.h>

#include <string>

namespace sfs::auth {
namespace {

TEST(IsValidUserNameTest, Valid) {
  for (const std::string& name :
       {std::string("alice"), std::string("a"), std::string("A"), std::string("0"),
        std::string("Bob_2"), std::string("a.b"), std::string("a-b"), std::string("a_"),
        std::string("x."), std::string("x-"), std::string("_x"), std::string("A.Z-0_9"),
        std::string("a..b"), std::string(32, 'z')}) {
    EXPECT_TRUE(is_valid_user_name(name)) << "'" << name << "'";
  }
}

TEST(IsValidUserNameTest, Invalid) {
  for (const std::string& name :
       {std::string(""),       std::string(33, 'z'),       std::string("."),
        std::string(".."),     std::string(".x"),          std::string("-x"),
        std::string("../x"),   std::string("a/b"),         std::string("/a"),
        std::string("a b"),    std::string(" a"),          std::string("a "),
        std::string("a:b"),    std::string("a\nb"),        std::string("a\tb"),
        std::string("a\\b"),   std::string("caf\xC3\xA9"), std::string("a\0b", 3),
        std::string("a\0", 2), std::string("a%20"),        std::string("a*"),
        std::string("a$"),     std::string("a@b"),         std::string("\x7F"),
        std::string("\xFF")}) {
    EXPECT_FALSE(is_valid_user_name(name)) << "'" << name << "'";
  }
}

TEST(IsValidUserNameTest, EveryByteAlone) {
  for (int b = 0; b < 256; ++b) {
    const bool expected =
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
    EXPECT_EQ(is_valid_user_name(std::string(1, static_cast<char>(b))), expected) << "byte " << b;
    // In the middle of a name, '.' and '-' are fine too.
    const bool inner = expected || b == '.' || b == '-';
    EXPECT_EQ(is_valid_user_name("a" + std::string(1, static_cast<char>(b)) + "b"), inner)
        << "byte " << b;
  }
}

}  // namespace
}  // namespace sfs::auth
