#include "tls/context.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdlib>

#include "tls/certificate.h"
#include "tls/stream.h"

namespace sfs::tls {
namespace {

constexpr char kCipherSuites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// TLS 1.2 (only with --tls12): forward secrecy and AEAD, nothing else.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

// Key exchange groups, both ends, TLS 1.3 and 1.2 alike. OpenSSL 3 also
// accepts the finite-field groups ffdhe2048..8192 by default; a client that
// offers only those makes the server do a modular exponentiation about 17
// times dearer than X25519 before anyone has logged in. Elliptic curves
// only, the fastest first.
constexpr char kGroups[] = "X25519:P-256:P-384";

constexpr std::size_t kReadAheadBytes = std::size_t{64} * 1024;

ContextPtr new_context(asio::ssl::context::method method) {
  auto ctx = std::make_unique<asio::ssl::context>(method);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_ciphersuites(native, kCipherSuites);
  if (SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    std::abort();  // a constant list OpenSSL 3 knows: failing is a broken build
  }
  // Read-ahead takes many records per recv() instead of a header and a
  // body each. (No SSL_MODE_RELEASE_BUFFERS: freeing the read
  // buffer whenever it runs empty cost ~10% of an upload's server CPU;
  // tls::Stream frees the buffers of idle connections instead.)
  SSL_CTX_set_read_ahead(native, 1);
  SSL_CTX_set_default_read_buffer_len(native, kReadAheadBytes);
  // The application traffic secrets go to the stream, which seals and
  // opens the records after a TLS 1.3 handshake (tls/records.h).
  SSL_CTX_set_keylog_callback(native, &Stream::key_log);
  return ctx;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

}  // namespace

Result<ContextPtr> make_server_context(const std::filesystem::path& cert_file,
                                       const std::filesystem::path& key_file, bool allow_tls12) {
  ContextPtr ctx = new_context(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (allow_tls12) {
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(native, kTls12Ciphers);
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // sfs clients are one process per command and keep no sessions, so a
  // session ticket per handshake would be work for nothing.
  SSL_CTX_set_num_tickets(native, 0);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return make_error(
        Errc::kIo, "cannot load certificate " + cert_file.string() + ": " + openssl_error_text());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return make_error(Errc::kIo,
                      "cannot load key " + key_file.string() + ": " + openssl_error_text());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return make_error(Errc::kIo, "key " + key_file.string() + " does not match certificate " +
                                     cert_file.string());
  }
  return ctx;
}

Result<ContextPtr> make_client_context() {
  ContextPtr ctx = new_context(asio::ssl::context::tls_client);
  ctx->set_verify_mode(asio::ssl::verify_none);
  return ctx;
}

std::string peer_fingerprint(SSL* ssl) {
  std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl));
  return cert ? fingerprint(cert.get()) : std::string();
}

Result<void> verify_against_ca_file(SSL* ssl, const std::filesystem::path& ca_file,
                                    const std::string& host) {
  SFS_ASSIGN_OR_RETURN(auto pinned, fingerprints_of_file(ca_file));
  std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl));
  if (!cert) {
    return make_error(Errc::kTrust, "server sent no certificate");
  }
  if (std::find(pinned.begin(), pinned.end(), fingerprint(cert.get())) != pinned.end()) {
    return {};
  }
  // Not pinned: it must chain to the file's certificates and name the host.
  X509_STORE* store = X509_STORE_new();
  X509_STORE_load_file(store, ca_file.c_str());
  X509_STORE_CTX* vctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(vctx, store, cert.get(), SSL_get_peer_cert_chain(ssl));
  const bool chained = X509_verify_cert(vctx) == 1;
  X509_STORE_CTX_free(vctx);
  X509_STORE_free(store);
  if (!chained) {
    return make_error(Errc::kTrust, "server certificate is not signed by " + ca_file.string());
  }
  const bool named = X509_check_host(cert.get(), host.c_str(), host.size(), 0, nullptr) == 1 ||
                     X509_check_ip_asc(cert.get(), host.c_str(), 0) == 1;
  if (!named) {
    return make_error(Errc::kTrust, "server certificate does not name " + host);
  }
  return {};
}

}  // namespace sfs::tls
