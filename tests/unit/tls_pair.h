// A loopback TLS 1.3 fixture for the transport tests: a self-signed
// certificate in a temporary directory, server and client contexts, and a
// connected pair of TCP sockets on 127.0.0.1, all on one io_context.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <utility>

#include "asio/asio.h"
#include "test_util.h"
#include "tls/certificate.h"
#include "tls/context.h"

namespace sfs::test {

class TlsPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    const auto cert = dir_.path() / "server.crt";
    const auto key = dir_.path() / "server.key";
    ASSERT_TRUE(tls::generate_self_signed(cert, key));
    auto server = tls::make_server_context(cert, key);
    ASSERT_TRUE(server) << server.error().message;
    server_context_ = std::move(*server);
    auto client = tls::make_client_context();
    ASSERT_TRUE(client) << client.error().message;
    client_context_ = std::move(*client);
  }

  // Accepts one connection on loopback and connects to it: the server's
  // socket first.
  std::pair<tcp::socket, tcp::socket> connected_pair() {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    tcp::socket server = acceptor.accept();
    return {std::move(server), std::move(client)};
  }

  // Runs the io_context until all its work is done, bounded in time.
  void run() {
    io_.run_for(std::chrono::seconds(30));
    ASSERT_TRUE(io_.stopped()) << "the exchange did not finish";
  }

  TempDir dir_{"sfs-tls-pair"};
  asio::io_context io_;
  tls::ContextPtr server_context_;
  tls::ContextPtr client_context_;
};

}  // namespace sfs::test
