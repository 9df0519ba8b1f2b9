// wire::Channel over a loopback TLS 1.3 connection: lines and bytes through
// its buffer, the line limit, the connection's deadline and idle close, and
// the frame pipelines (send_stream / receive_stream) with compression.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tls_pair.h"
#include "wire/channel.h"
#include "wire/transfer.h"

namespace sfs::wire {
namespace {

using namespace std::chrono_literals;
using Body = std::function<awaitable<void>(Channel&)>;

// Compressible, and different at every position so that a reordering shows.
std::string data_of(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    data[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  }
  return data;
}

class WireChannelTest : public test::TlsPairTest {
 protected:
  void SetUp() override {
    TlsPairTest::SetUp();
    auto [server, client] = connected_pair();
    server_ = std::make_shared<Channel>(std::move(server), *server_context_, 10s);
    client_ = std::make_shared<Channel>(std::move(client), *client_context_, 10s);
  }

  // Handshakes, runs `server` and `client` on their ends, then closes both.
  void exchange(Body server, Body client) {
    asio::co_spawn(io_, side(server_, tls::Stream::Role::kServer, std::move(server), server_error_),
                   asio::detached);
    asio::co_spawn(io_, side(client_, tls::Stream::Role::kClient, std::move(client), client_error_),
                   asio::detached);
    run();
    EXPECT_EQ(server_error_, "");
    EXPECT_EQ(client_error_, "");
  }

  static awaitable<void> side(std::shared_ptr<Channel> channel, tls::Stream::Role role, Body body,
                              std::string& error) {
    channel->start_watchdog();
    auto shaken = co_await channel->handshake(role, 10s);
    if (!shaken) {
      error = shaken.error().message;
    } else {
      co_await body(*channel);
    }
    channel->close();
  }

  std::shared_ptr<Channel> server_;
  std::shared_ptr<Channel> client_;
  std::string server_error_;
  std::string client_error_;
};

TEST_F(WireChannelTest, LinesAndBytesShareOneBuffer) {
  std::string first;
  std::string bytes(6, '\0');
  std::string second;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        auto line = co_await ch.read_line(100);
        first = line ? *line : line.error().message;
        auto got = co_await ch.read_exact(bytes.data(), bytes.size());
        if (!got) {
          bytes = got.error().message;
        }
        line = co_await ch.read_line(100);
        second = line ? *line : line.error().message;
      },
      [&](Channel& ch) -> awaitable<void> {
        // One write: the server's first read takes the line and what follows.
        co_await ch.write("HELLO\nabcdefWORLD\n");
        auto end = co_await ch.read_line(100);  // until the server closes
        EXPECT_FALSE(end);
      });
  EXPECT_EQ(first, "HELLO");
  EXPECT_EQ(bytes, "abcdef");
  EXPECT_EQ(second, "WORLD");
}

// Replies held by write_soon go out before a read that would wait for the
// peer, which may itself wait for them (a pipelining client that reads its
// replies before sending more): otherwise both would wait until the deadline.
TEST_F(WireChannelTest, HeldRepliesGoOutBeforeAReadThatWaits) {
  std::string server_got;
  std::string client_got;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        (void)co_await ch.write_soon("first\n");
        (void)co_await ch.write_soon("second\n");
        auto line = co_await ch.read_line(100);
        server_got = line ? *line : line.error().message;
        (void)co_await ch.write_soon("bye\n");
        co_await ch.shutdown();  // what is held goes first
      },
      [&](Channel& ch) -> awaitable<void> {
        for (int i = 0; i < 2; ++i) {
          auto line = co_await ch.read_line(100);
          client_got += (line ? *line : line.error().message) + ";";
        }
        (void)co_await ch.write("go on\n");
        auto line = co_await ch.read_line(100);
        client_got += line ? *line : line.error().message;
      });
  EXPECT_EQ(client_got, "first;second;bye");
  EXPECT_EQ(server_got, "go on");
}

// A write or a send takes the held replies along, in order.
TEST_F(WireChannelTest, HeldRepliesGoFirstWithTheNextWriteOrSend) {
  std::string client_got;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        (void)co_await ch.write_soon("one\n");
        (void)co_await ch.write("two\n");
        (void)co_await ch.write_soon("three\n");
        const std::string four = "four\n";
        (void)co_await ch.send(four.data(), four.size());
        (void)co_await ch.write_soon("five\n");
        (void)co_await ch.flush_soon();
      },
      [&](Channel& ch) -> awaitable<void> {
        for (int i = 0; i < 5; ++i) {
          auto line = co_await ch.read_line(100);
          client_got += (line ? *line : line.error().message) + ";";
        }
      });
  EXPECT_EQ(client_got, "one;two;three;four;five;");
}

TEST_F(WireChannelTest, LineLongerThanItsLimitIsAProtocolError) {
  Result<std::string> line = std::string();
  exchange([&](Channel& ch) -> awaitable<void> { line = co_await ch.read_line(50); },
           [&](Channel& ch) -> awaitable<void> {
             co_await ch.write(std::string(100, 'x') + "\n");
             auto end = co_await ch.read_line(100);
             EXPECT_FALSE(end);
           });
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code, Errc::kProtocol);
  EXPECT_EQ(line.error().message, "line too long");
}

TEST_F(WireChannelTest, DeadlineClosesTheConnectionOfASilentPeer) {
  Result<std::string> line = std::string();
  Result<void> alive;
  std::string client_saw;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        line = co_await ch.read_line(100, 50ms);
        alive = ch.alive();
      },
      [&](Channel& ch) -> awaitable<void> {
        auto end = co_await ch.read_line(100);  // silent until the server gives up
        client_saw = end ? *end : end.error().message;
      });
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().message, "connection timed out");
  ASSERT_FALSE(alive);
  EXPECT_EQ(alive.error().message, "connection timed out");
  EXPECT_NE(client_saw, "");
}

TEST_F(WireChannelTest, CloseIfIdleClosesOnlyAnIdleConnection) {
  std::string busy;
  std::string idle;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        ch.set_idle(false);
        ch.close_if_idle();
        auto ok = ch.alive();
        busy = ok ? "open" : ok.error().message;
        ch.set_idle(true);
        ch.close_if_idle();
        ok = ch.alive();
        idle = ok ? "open" : ok.error().message;
        co_return;
      },
      [&](Channel&) -> awaitable<void> { co_return; });
  EXPECT_EQ(busy, "open");
  EXPECT_NE(idle, "open");
}

TEST_F(WireChannelTest, FramesCarryFileDataCompressedAndCounted) {
  const std::string data = data_of(3'000'000);
  std::string received;
  WireCount sent_count;
  WireCount received_count;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        ch.set_compression(true);
        std::size_t offset = 0;
        const Source source = [&](char* out, std::size_t max) -> awaitable<Result<std::size_t>> {
          const std::size_t n = std::min(max, data.size() - offset);
          std::copy_n(data.data() + offset, n, out);
          offset += n;
          co_return n;
        };
        auto sent = co_await send_stream(ch, data.size(), source);
        EXPECT_TRUE(sent) << sent.error().message;
        sent_count = ch.wire_count();
      },
      [&](Channel& ch) -> awaitable<void> {
        ch.set_compression(true);
        const Sink sink = [&](const char* in, std::size_t n) -> awaitable<Result<void>> {
          received.append(in, n);
          co_return Result<void>{};
        };
        auto got = co_await receive_stream(ch, data.size(), sink);
        EXPECT_TRUE(got) << got.error().message;
        received_count = ch.wire_count();
      });
  EXPECT_TRUE(received == data) << "received " << received.size() << " bytes";
  EXPECT_EQ(sent_count.data_bytes, data.size());
  EXPECT_EQ(received_count.data_bytes, data.size());
  EXPECT_GT(sent_count.compressed_frames, 0U);
  EXPECT_LT(sent_count.wire_bytes, data.size());
  EXPECT_EQ(received_count.wire_bytes, sent_count.wire_bytes);
}

// A source of `data` in pieces of at most `piece` bytes, failing with kIo
// after `fail_after` bytes.
Source piecewise(const std::string& data, std::size_t piece, std::size_t fail_after,
                 std::size_t& offset) {
  return [&data, piece, fail_after, &offset](char* out,
                                             std::size_t max) -> awaitable<Result<std::size_t>> {
    if (offset >= fail_after) {
      co_return make_error(Errc::kIo, "disk gone");
    }
    const std::size_t n = std::min({max, piece, data.size() - offset});
    std::copy_n(data.data() + offset, n, out);
    offset += n;
    co_return n;
  };
}

TEST_F(WireChannelTest, AWholeStreamGoesWithTheLinesAroundItAndReadsAsAStream) {
  const std::string data = data_of(kWholeStreamBytes);
  std::vector<std::string> received(3);
  std::vector<std::string> verdicts;
  std::vector<std::string> tails;
  exchange(
      [&](Channel& ch) -> awaitable<void> {
        // All of it, nothing, and a source that fails half-way: one write.
        std::string out;
        for (const std::size_t length : {data.size(), std::size_t{0}, data.size()}) {
          std::size_t offset = 0;
          const std::size_t fail_after = out.empty() ? data.size() : data.size() / 2;
          out += "HEAD\n";
          auto whole =
              co_await append_whole_stream(out, length, piecewise(data, 5000, fail_after, offset));
          out += whole ? "TAIL\n" : "ERR " + whole.error().message + "\n";
        }
        auto wrote = co_await ch.write(out);
        EXPECT_TRUE(wrote);
      },
      [&](Channel& ch) -> awaitable<void> {
        for (std::size_t i = 0; i < 3; ++i) {
          auto head = co_await ch.read_line(100);
          EXPECT_TRUE(head && *head == "HEAD");
          const Sink sink = [&received, i](const char* in,
                                           std::size_t n) -> awaitable<Result<void>> {
            received[i].append(in, n);
            co_return Result<void>{};
          };
          const std::size_t expected = i == 1 ? 0 : data.size();
          auto got = co_await receive_stream(ch, expected, sink);
          verdicts.push_back(got ? "ok" : got.error().message);
          auto tail = co_await ch.read_line(100);
          tails.push_back(tail ? *tail : tail.error().message);
        }
      });
  EXPECT_TRUE(received[0] == data) << received[0].size() << " bytes";
  EXPECT_EQ(received[1], "");
  EXPECT_EQ(received[2], "");  // aborted before any data: none is sent
  ASSERT_EQ(verdicts.size(), 3U);
  EXPECT_EQ(verdicts[0], "ok");
  EXPECT_EQ(verdicts[1], "ok");
  EXPECT_NE(verdicts[2], "ok");
  EXPECT_EQ(tails, (std::vector<std::string>{"TAIL", "TAIL", "ERR disk gone"}));
}

}  // namespace
}  // namespace sfs::wire
