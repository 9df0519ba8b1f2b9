#pragma once
// Self-signed server certificates and their fingerprints.
//
//   generate_self_signed("server.crt", "server.key");   // ECDSA P-256
//   fingerprint_of_file("server.crt") -> "AB:CD:...:EF" (SHA-256)

#include <openssl/x509.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace sfs::tls {

// Creates an ECDSA P-256 key (file mode 0600) and a certificate valid for ten
// years, naming localhost, 127.0.0.1, ::1, this host's name and `extra_names`
// (DNS names or IP addresses). Refuses to overwrite existing files.
Result<void> generate_self_signed(const std::filesystem::path& cert_file,
                                  const std::filesystem::path& key_file,
                                  const std::vector<std::string>& extra_names = {});

// SHA-256 of the DER certificate as upper-case hex pairs joined by ':' (the
// format of `openssl x509 -noout -fingerprint -sha256`).
std::string fingerprint(X509* cert);

// Fingerprints of every certificate in a PEM file.
Result<std::vector<std::string>> fingerprints_of_file(const std::filesystem::path& pem_file);

// True when the first certificate of a PEM file is self-signed (issued by
// itself), or cannot be read: a server then sends no HSTS header, which
// would pin browsers to a certificate they cannot check.
bool is_self_signed_file(const std::filesystem::path& pem_file);

// The error queue of OpenSSL as one line.
std::string openssl_error_text();

}  // namespace sfs::tls
