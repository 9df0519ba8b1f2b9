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

#include <optional>
#include <string>

#include "net/connection.h"
#include "tls_pair.h"

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

using AsyncStreamTest = test::TlsPairTest;

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

// Over a net::Connection, Beast runs under the connection's deadline: a
// peer that sends half a request and stops is cut off, and the connection
// says why.
TEST_F(AsyncStreamTest, BeastReadEndsAtTheConnectionsDeadline) {
  auto [server_socket, client_socket] = connected_pair();
  auto server = std::make_shared<net::Connection>(std::move(server_socket), *server_context_,
                                                  std::chrono::seconds(10));
  auto client = std::make_shared<net::Connection>(std::move(client_socket), *client_context_,
                                                  std::chrono::seconds(10));
  std::string result = "not run";
  std::string why;

  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        server->start_watchdog();
        auto shaken = co_await server->handshake(Stream::Role::kServer, std::chrono::seconds(10));
        if (!shaken) {
          result = "handshake: " + shaken.error().message;
          server->close();
          co_return;
        }
        server->set_deadline(std::chrono::milliseconds(50));
        AsyncStream stream = server->async_stream();
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
        error_code ec;
        co_await http::async_read(stream, buffer, request,
                                  asio::redirect_error(asio::use_awaitable, ec));
        result = ec ? "failed" : "read a request";
        auto alive = server->alive();
        why = alive ? "alive" : alive.error().message;
        server->close();
      },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        client->start_watchdog();
        auto shaken = co_await client->handshake(Stream::Role::kClient, std::chrono::seconds(10));
        if (shaken) {
          co_await client->write("GET / HTTP/1.1\r\nHost: loc");  // and nothing more
          char byte = 0;
          auto end = co_await client->read_some(&byte, 1);  // until the server gives up
        }
        client->close();
      },
      asio::detached);

  run();
  EXPECT_EQ(result, "failed");
  EXPECT_EQ(why, "connection timed out");
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
