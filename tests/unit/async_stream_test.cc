// tls::AsyncStream: Boost.Beast reads an HTTP request and writes a response
// over it, on a loopback TLS 1.3 connection between two tls::Streams. The
// only translation unit of the tree that includes Beast so far.
#include "tls/async_stream.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

// clang-format off
#include "asio/asio.h"  // first: it includes <utility> before Boost.Asio
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
// clang-format on

#include <chrono>
#include <optional>
#include <string>

#include "test_util.h"
#include "tls/certificate.h"
#include "tls/context.h"

namespace sfs::tls {
namespace {

namespace http = boost::beast::http;
using boost::system::error_code;

// A body larger than one TLS record and than the adapter's gather limit, with
// bytes that differ by position so that a reordering would show.
std::string body_of(std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return body;
}

class AsyncStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    const auto cert = dir_.path() / "server.crt";
    const auto key = dir_.path() / "server.key";
    ASSERT_TRUE(generate_self_signed(cert, key));
    auto server = make_server_context(cert, key);
    ASSERT_TRUE(server) << server.error().message;
    server_context_ = std::move(*server);
    auto client = make_client_context();
    ASSERT_TRUE(client) << client.error().message;
    client_context_ = std::move(*client);
  }

  // Accepts one connection on loopback and connects to it: the two sockets.
  std::pair<tcp::socket, tcp::socket> connected_pair() {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    return {std::move(server), std::move(client)};
  }

  // Runs the io_context until both sides are done, bounded in time.
  void run() {
    io_.run_for(std::chrono::seconds(30));
    ASSERT_TRUE(io_.stopped()) << "the exchange did not finish";
  }

  test::TempDir dir_{"sfs-async-stream"};
  asio::io_context io_;
  ContextPtr server_context_;
  ContextPtr client_context_;
};

TEST_F(AsyncStreamTest, BeastReadsRequestAndWritesResponseOverTls13) {
  auto [server_socket, client_socket] = connected_pair();
  Stream server(std::move(server_socket), *server_context_);
  Stream client(std::move(client_socket), *client_context_);
  const std::string request_body = body_of(100'000);
  const std::string response_body = body_of(300'000);

  std::optional<http::request<http::string_body>> got_request;
  std::optional<http::response<http::string_body>> got_response;
  std::string server_error = "not run";
  std::string client_error = "not run";
  std::string version;

  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        error_code ec;
        co_await server.handshake(Stream::Role::kServer, ec);
        if (ec) {
          server_error = "handshake: " + ec.message();
          co_return;
        }
        AsyncStream stream(server);
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
        co_await http::async_read(stream, buffer, request,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          server_error = "read: " + ec.message();
          co_return;
        }
        got_request = request;
        http::response<http::string_body> response(http::status::ok, request.version());
        response.set(http::field::content_type, "application/octet-stream");
        response.body() = response_body;
        response.prepare_payload();
        co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
        server_error = ec ? "write: " + ec.message() : "";
      },
      asio::detached);

  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        error_code ec;
        co_await client.handshake(Stream::Role::kClient, ec);
        if (ec) {
          client_error = "handshake: " + ec.message();
          co_return;
        }
        version = SSL_get_version(client.native_handle());
        AsyncStream stream(client);
        http::request<http::string_body> request(http::verb::put, "/files/a%20b.bin", 11);
        request.set(http::field::host, "localhost");
        request.body() = request_body;
        request.prepare_payload();
        co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          client_error = "write: " + ec.message();
          co_return;
        }
        boost::beast::flat_buffer buffer;
        http::response<http::string_body> response;
        co_await http::async_read(stream, buffer, response,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          client_error = "read: " + ec.message();
          co_return;
        }
        got_response = response;
        client_error = "";
      },
      asio::detached);

  run();
  EXPECT_EQ(server_error, "");
  EXPECT_EQ(client_error, "");
  EXPECT_EQ(version, "TLSv1.3");
  ASSERT_TRUE(got_request);
  EXPECT_EQ(got_request->method(), http::verb::put);
  EXPECT_EQ(got_request->target(), "/files/a%20b.bin");
  EXPECT_EQ(got_request->body(), request_body);
  ASSERT_TRUE(got_response);
  EXPECT_EQ(got_response->result(), http::status::ok);
  EXPECT_EQ(got_response->body(), response_body);
}

// A read over a socket that a watchdog closed (as net::Connection's does at
// its deadline) fails instead of waiting forever.
TEST_F(AsyncStreamTest, ReadFailsWhenTheSocketIsClosedUnderIt) {
  auto [server_socket, client_socket] = connected_pair();
  Stream server(std::move(server_socket), *server_context_);
  Stream client(std::move(client_socket), *client_context_);
  std::string result = "not run";

  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        error_code ec;
        co_await server.handshake(Stream::Role::kServer, ec);
        if (ec) {
          result = "handshake: " + ec.message();
          co_return;
        }
        // The client sends nothing; a "watchdog" closes the socket.
        asio::post(io_, [&] {
          error_code ignored;
          server.socket().close(ignored);
        });
        AsyncStream stream(server);
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
        co_await http::async_read(stream, buffer, request,
                                  asio::redirect_error(asio::use_awaitable, ec));
        result = ec ? "failed" : "read a request";
      },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        error_code ec;
        co_await client.handshake(Stream::Role::kClient, ec);
      },
      asio::detached);

  run();
  EXPECT_EQ(result, "failed");
}

// Empty buffers complete at once with 0 bytes and no error, as Asio's
// streams do.
TEST_F(AsyncStreamTest, EmptyBuffersCompleteWithZeroBytes) {
  auto [server_socket, client_socket] = connected_pair();
  Stream server(std::move(server_socket), *server_context_);
  AsyncStream stream(server);
  std::optional<std::pair<error_code, std::size_t>> read_result;
  std::optional<std::pair<error_code, std::size_t>> write_result;
  stream.async_read_some(asio::mutable_buffer(),
                         [&](error_code ec, std::size_t n) { read_result.emplace(ec, n); });
  stream.async_write_some(asio::const_buffer(),
                          [&](error_code ec, std::size_t n) { write_result.emplace(ec, n); });
  EXPECT_FALSE(read_result) << "completed inside the initiating call";
  run();
  ASSERT_TRUE(read_result);
  EXPECT_FALSE(read_result->first);
  EXPECT_EQ(read_result->second, 0U);
  ASSERT_TRUE(write_result);
  EXPECT_FALSE(write_result->first);
  EXPECT_EQ(write_result->second, 0U);
}

}  // namespace
}  // namespace sfs::tls
