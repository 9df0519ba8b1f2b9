#include "client/line_input.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace sfs::client {
namespace {

class LineInputTest : public ::testing::Test {
 protected:
  LineInputTest() { EXPECT_EQ(::pipe(fds_), 0); }
  ~LineInputTest() override {
    ::close(fds_[0]);
    close_writer();
  }
  void send(const std::string& text) {
    EXPECT_EQ(::write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_writer() {
    if (fds_[1] >= 0) {
      ::close(fds_[1]);
      fds_[1] = -1;
    }
  }
  int fds_[2] = {-1, -1};
};

TEST_F(LineInputTest, KnowsWhetherTheNextLineWouldWait) {
  LineInput in(fds_[0]);
  EXPECT_FALSE(in.ready());  // nothing written yet: next() would wait
  send("1\nfirst.txt\n\n2");
  EXPECT_TRUE(in.ready());
  std::string line;
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "1");
  EXPECT_TRUE(in.ready());  // buffered
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "first.txt");
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "");
  EXPECT_FALSE(in.ready());  // "2" without its end: next() would wait for it
  close_writer();
  EXPECT_TRUE(in.ready());  // the end is there to read
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "2");  // a last line without '\n' counts
  EXPECT_FALSE(in.next(line));
  EXPECT_TRUE(in.ready());
}

TEST_F(LineInputTest, KeepsCarriageReturnsAndLongLines) {
  LineInput in(fds_[0]);
  const std::string longer(10000, 'x');
  send("a\r\n" + longer + "\n");
  close_writer();
  std::string line;
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "a\r");  // as std::getline
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, longer);
  EXPECT_FALSE(in.next(line));
}

}  // namespace
}  // namespace sfs::client
