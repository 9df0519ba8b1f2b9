#pragma once
// TLS contexts for both ends: TLS 1.3 only, no compression, no
// renegotiation, AEAD suites with AES-128-GCM first (fastest with AES-NI),
// key exchange over X25519, P-256 or P-384 only (no finite-field groups).

#include <filesystem>
#include <memory>
#include <string>

#include "asio/asio.h"
#include "base/result.h"

namespace sfs::tls {

using ContextPtr = std::unique_ptr<asio::ssl::context>;

// Loads the certificate chain and private key, and checks they match.
// kIo with the file name and OpenSSL's reason otherwise. `allow_tls12` also
// offers TLS 1.2, with ECDHE and AEAD suites only.
Result<ContextPtr> make_server_context(const std::filesystem::path& cert_file,
                                       const std::filesystem::path& key_file,
                                       bool allow_tls12 = false);

// A client context. OpenSSL does not check the server's certificate during
// the handshake; the client checks it right after (see trust checks in the
// client), before it sends anything.
Result<ContextPtr> make_client_context();

// The server's certificate fingerprint, after the handshake.
std::string peer_fingerprint(SSL* ssl);

// Checks the server's certificate against a CA file: accepted when it is one
// of the file's certificates (pinned), or when it chains to one of them and
// names `host`. kTrust with the reason otherwise.
Result<void> verify_against_ca_file(SSL* ssl, const std::filesystem::path& ca_file,
                                    const std::string& host);

}  // namespace sfs::tls
