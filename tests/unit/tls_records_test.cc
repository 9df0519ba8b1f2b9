// TLS 1.3 records sealed and opened by sfs (tls/records.h, tls::Stream
// after the handshake): the pieces on their own, and a tls::Stream talking
// to plain OpenSSL at the other end, which checks every record sfs seals and
// seals every record sfs opens, key updates and session tickets included.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "tls/records.h"
#include "tls/stream.h"
#include "tls_pair.h"

namespace sfs::tls {
namespace {

using boost::system::error_code;

std::string pattern(std::size_t size, int seed) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    data[i] = static_cast<char>((i * 31 + i / 4093 + static_cast<std::size_t>(seed)) & 0xff);
  }
  return data;
}

Secret secret_of(std::uint8_t fill, std::size_t length) {
  Secret s;
  s.bytes.fill(fill);
  s.length = length;
  return s;
}

TEST(RecordCipherTest, SealedRecordsOpenInOrderAndNotOtherwise) {
  const Suite suite = suite_named("TLS_AES_128_GCM_SHA256");
  RecordCipher out;
  RecordCipher in;
  ASSERT_TRUE(out.init(suite, secret_of(7, 32)));
  ASSERT_TRUE(in.init(suite, secret_of(7, 32)));
  const std::string text = pattern(1000, 1);
  std::string first(sealed_size(text.size()), '\0');
  std::string second(sealed_size(text.size()), '\0');
  ASSERT_EQ(out.seal(kApplicationData, text.data(), text.size(), first.data()), first.size());
  ASSERT_EQ(out.seal(kApplicationData, text.data(), text.size(), second.data()), second.size());
  EXPECT_NE(first, second);  // another nonce for each record

  auto length = parse_record_header(second.data());
  ASSERT_TRUE(length);
  std::string plain(*length, '\0');
  // The second record cannot open as the first.
  EXPECT_FALSE(in.open(second.data(), second.data() + kRecordHeaderBytes, *length, plain.data()));
  ASSERT_TRUE(in.open(first.data(), first.data() + kRecordHeaderBytes, *length, plain.data()));
  auto inner = inner_content(plain.data(), *length - kTagBytes);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->type, kApplicationData);
  EXPECT_EQ(plain.substr(0, inner->length), text);

  second[kRecordHeaderBytes + 10] ^= 1;  // one bit on the way
  EXPECT_FALSE(in.open(second.data(), second.data() + kRecordHeaderBytes, *length, plain.data()));
}

TEST(RecordCipherTest, KeyUpdatesMustMatchOnBothSides) {
  for (const char* name : {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    const Suite suite = suite_named(name);
    const std::size_t secret_bytes = static_cast<std::size_t>(EVP_MD_get_size(suite.hash));
    RecordCipher out;
    RecordCipher in;
    ASSERT_TRUE(out.init(suite, secret_of(9, secret_bytes))) << name;
    ASSERT_TRUE(in.init(suite, secret_of(9, secret_bytes))) << name;
    ASSERT_TRUE(out.update());
    std::string record(sealed_size(3), '\0');
    out.seal(kApplicationData, "abc", 3, record.data());
    std::string plain(record.size(), '\0');
    const std::size_t length = record.size() - kRecordHeaderBytes;
    EXPECT_FALSE(in.open(record.data(), record.data() + kRecordHeaderBytes, length, plain.data()));
    RecordCipher updated;
    ASSERT_TRUE(updated.init(suite, secret_of(9, secret_bytes)));
    ASSERT_TRUE(updated.update());
    EXPECT_TRUE(
        updated.open(record.data(), record.data() + kRecordHeaderBytes, length, plain.data()))
        << name;
  }
  EXPECT_EQ(suite_named("TLS_AES_128_CCM_SHA256").cipher, nullptr);
  RecordCipher none;
  EXPECT_FALSE(none.init(suite_named("TLS_AES_128_GCM_SHA256"), secret_of(1, 48)));
}

TEST(RecordParsingTest, HeadersPaddingAndPostHandshakeMessages) {
  EXPECT_TRUE(parse_record_header("\x17\x03\x03\x00\x11"));
  EXPECT_FALSE(parse_record_header("\x17\x03\x03\x00\x10"));  // not even a tag and a type
  EXPECT_FALSE(parse_record_header("\x17\x03\x03\x41\x01"));  // over 2^14 + 256
  EXPECT_FALSE(parse_record_header("\x16\x03\x03\x00\x20"));  // a plaintext handshake
  EXPECT_FALSE(parse_record_header("\x17\x03\x01\x00\x20"));

  auto inner = inner_content("hi\x17\0\0\0", 6);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->type, kApplicationData);
  EXPECT_EQ(inner->length, 2U);
  EXPECT_FALSE(inner_content("\0\0\0", 3));

  auto update = parse_post_handshake("\x18\x00\x00\x01\x01", 5);
  ASSERT_TRUE(update);
  EXPECT_TRUE(update->key_update);
  EXPECT_TRUE(update->update_requested);
  const std::string ticket_then_update("\x04\x00\x00\x02zz\x18\x00\x00\x01\x00", 11);
  update = parse_post_handshake(ticket_then_update.data(), ticket_then_update.size());
  ASSERT_TRUE(update);
  EXPECT_TRUE(update->key_update);
  EXPECT_FALSE(update->update_requested);
  const std::string update_then_ticket("\x18\x00\x00\x01\x00\x04\x00\x00\x00", 9);
  EXPECT_FALSE(parse_post_handshake(update_then_ticket.data(), update_then_ticket.size()));
  EXPECT_FALSE(parse_post_handshake("\x18\x00\x00\x01\x02", 5));
  EXPECT_FALSE(parse_post_handshake("\x04\x00\x00\x09zz", 6));    // split
  EXPECT_FALSE(parse_post_handshake("\x0d\x00\x00\x01\x00", 5));  // CertificateRequest
}

// A tls::Stream on one end of a loopback connection, plain blocking OpenSSL
// on the other (in a thread of its own).
class OpenSslPeerTest : public test::TlsPairTest {
 protected:
  struct Pair {
    tcp::socket ours;
    int theirs = -1;
  };

  // A connection whose far end is a plain descriptor, blocking.
  Pair connect_raw() {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(acceptor.local_endpoint().port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    return {acceptor.accept(), fd};
  }

  // Runs `peer` on an OpenSSL client (or server) of that descriptor in a
  // thread, `ours` on the io_context, and waits for both.
  void run_with(int fd, bool peer_is_server, int max_version, const std::function<void(SSL*)>& peer,
                std::function<awaitable<void>()> ours) {
    SSL_CTX* ctx = SSL_CTX_new(peer_is_server ? TLS_server_method() : TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, max_version);
    if (peer_is_server) {
      ASSERT_EQ(SSL_CTX_use_certificate_chain_file(ctx, (dir_.path() / "server.crt").c_str()), 1);
      ASSERT_EQ(
          SSL_CTX_use_PrivateKey_file(ctx, (dir_.path() / "server.key").c_str(), SSL_FILETYPE_PEM),
          1);
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    std::thread thread([&] {
      if ((peer_is_server ? SSL_accept(ssl) : SSL_connect(ssl)) == 1) {
        peer(ssl);
      }
      ::shutdown(fd, SHUT_WR);
    });
    asio::co_spawn(io_, std::move(ours), asio::detached);
    run();
    thread.join();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
  }
};

bool write_all(SSL* ssl, const std::string& data) {
  for (std::size_t at = 0; at < data.size();) {
    const int n = SSL_write(ssl, data.data() + at,
                            static_cast<int>(std::min<std::size_t>(100000, data.size() - at)));
    if (n <= 0) {
      return false;
    }
    at += static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_n(SSL* ssl, std::size_t size) {
  std::string got;
  std::array<char, 70000> buffer{};
  while (got.size() < size) {
    const int n =
        SSL_read(ssl, buffer.data(), static_cast<int>(std::min(buffer.size(), size - got.size())));
    if (n <= 0) {
      break;
    }
    got.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return got;
}

// Reads `size` bytes in reads of changing sizes: some smaller than a
// record (opened in place, handed out in parts), some larger (opened
// straight into the buffer).
awaitable<std::string> read_exactly(Stream& stream, std::size_t size, error_code& ec) {
  static constexpr std::array<std::size_t, 4> kSizes = {5, 70000, 16000, 300000};
  std::string got;
  std::string buffer(kSizes.back(), '\0');
  for (std::size_t i = 0; got.size() < size; ++i) {
    const std::size_t want = std::min(kSizes[i % kSizes.size()], size - got.size());
    const std::size_t n = co_await stream.read_some(buffer.data(), want, ec);
    if (ec) {
      break;
    }
    got.append(buffer.data(), n);
  }
  co_return got;
}

TEST_F(OpenSslPeerTest, OpenSslReadsWhatTheStreamSealsAndTheStreamOpensWhatItSeals) {
  auto [socket, fd] = connect_raw();
  Stream server(std::move(socket), *server_context_);
  const std::string up = pattern(3 << 20, 1);
  const std::string down = pattern(3 << 20, 2);
  const std::string after = pattern(1 << 20, 3);
  std::string peer_got;
  std::string peer_after;
  bool own = false;
  std::string got;
  std::string got_after;
  error_code end;
  run_with(
      fd, false, TLS1_3_VERSION,
      [&](SSL* ssl) {
        if (!write_all(ssl, up)) {
          return;
        }
        peer_got = read_n(ssl, down.size());
        // A key update that asks for ours: the stream must open what
        // follows with the next key, and answer before it seals more.
        if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1 || !write_all(ssl, after)) {
          return;
        }
        peer_after = read_n(ssl, after.size());
        SSL_shutdown(ssl);
      },
      [&]() -> awaitable<void> {
        error_code ec;
        co_await server.handshake(Stream::Role::kServer, ec);
        own = server.own_records();
        got = co_await read_exactly(server, up.size(), ec);
        co_await server.write(down.data(), down.size(), ec);
        got_after = co_await read_exactly(server, after.size(), ec);
        co_await server.write(after.data(), after.size(), ec);
        std::array<char, 16> rest{};
        (void)co_await server.read_some(rest.data(), rest.size(), end);
      });
  EXPECT_TRUE(own);
  EXPECT_TRUE(got == up) << got.size();
  EXPECT_TRUE(peer_got == down) << peer_got.size();
  EXPECT_TRUE(got_after == after) << got_after.size();
  EXPECT_TRUE(peer_after == after) << peer_after.size();
  EXPECT_EQ(end, asio::error::eof);  // the peer's close_notify
}

TEST_F(OpenSslPeerTest, AForgedRecordEndsTheReadWithNothingFromIt) {
  auto [socket, fd] = connect_raw();
  Stream server(std::move(socket), *server_context_);
  error_code ec;
  std::size_t n = 1;
  run_with(
      fd, false, TLS1_3_VERSION,
      [&](SSL* ssl) {
        if (write_all(ssl, "real")) {
          std::array<char, 5 + 40> forged{0x17, 0x03, 0x03, 0x00, 0x28};
          (void)::send(fd, forged.data(), forged.size(), MSG_NOSIGNAL);
        }
      },
      [&]() -> awaitable<void> {
        co_await server.handshake(Stream::Role::kServer, ec);
        std::array<char, 4> first{};
        (void)co_await server.read_some(first.data(), first.size(), ec);
        std::array<char, 100> buffer{};
        n = co_await server.read_some(buffer.data(), buffer.size(), ec);
      });
  EXPECT_EQ(n, 0U);
  EXPECT_EQ(ec, boost::system::errc::bad_message);
}

TEST_F(OpenSslPeerTest, TlsOneTwoStaysWithOpenSsl) {
  auto made = make_server_context(dir_.path() / "server.crt", dir_.path() / "server.key", true);
  ASSERT_TRUE(made);
  auto [socket, fd] = connect_raw();
  Stream server(std::move(socket), **made);
  const std::string text = pattern(200000, 4);
  bool own = true;
  std::string got;
  std::string peer_got;
  run_with(
      fd, false, TLS1_2_VERSION,
      [&](SSL* ssl) {
        if (write_all(ssl, text)) {
          peer_got = read_n(ssl, text.size());
        }
      },
      [&]() -> awaitable<void> {
        error_code ec;
        co_await server.handshake(Stream::Role::kServer, ec);
        own = server.own_records();
        got = co_await read_exactly(server, text.size(), ec);
        co_await server.write(got.data(), got.size(), ec);
      });
  EXPECT_FALSE(own);
  EXPECT_TRUE(got == text);
  EXPECT_TRUE(peer_got == text);
}

TEST_F(OpenSslPeerTest, AClientSkipsTheServersSessionTickets) {
  auto [socket, fd] = connect_raw();
  Stream client(std::move(socket), *client_context_);
  const std::string text = pattern(1 << 20, 5);
  bool own = false;
  std::string got;
  run_with(
      fd, true, TLS1_3_VERSION,  // OpenSSL's server sends two tickets
      [&](SSL* ssl) { (void)write_all(ssl, text); },
      [&]() -> awaitable<void> {
        error_code ec;
        co_await client.handshake(Stream::Role::kClient, ec);
        own = client.own_records();
        got = co_await read_exactly(client, text.size(), ec);
      });
  EXPECT_TRUE(own);
  EXPECT_TRUE(got == text) << got.size();
}

}  // namespace
}  // namespace sfs::tls
