#include "tls/certificate.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "base/errno_error.h"

namespace sfs::tls {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    (void)Free(p);  // fclose of a file only read; the others return nothing
  }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using FilePtr = std::unique_ptr<FILE, Deleter<std::fclose>>;

Error tls_error(const std::string& what) {
  return make_error(Errc::kIo, what + ": " + openssl_error_text());
}

// Opens a new file exclusively with `mode` (so a key is never readable by
// others, not even for an instant).
Result<FilePtr> create_exclusive(const std::filesystem::path& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return errno_error(Errc::kIo, "cannot create " + path.string(), errno);
  }
  FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return make_error(Errc::kIo, "cannot create " + path.string());
  }
  return FilePtr(f);
}

std::string subject_alt_names(const std::vector<std::string>& extra) {
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    san += ",DNS:" + std::string(host);
  }
  for (const std::string& name : extra) {
    const bool is_ip = name.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
                       (name.find('.') != std::string::npos || name.find(':') != std::string::npos);
    if (!name.empty() && name != "0.0.0.0" && name != "::") {
      san += (is_ip ? ",IP:" : ",DNS:") + name;
    }
  }
  return san;
}

Result<void> add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return tls_error("certificate extension");
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return {};
}

Result<X509Ptr> build_certificate(EVP_PKEY* key, const std::vector<std::string>& extra) {
  X509Ptr cert(X509_new());
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sfs-server"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
        std::pair{NID_key_usage, std::string("critical,digitalSignature")},
        std::pair{NID_ext_key_usage, std::string("serverAuth")},
        std::pair{NID_subject_alt_name, subject_alt_names(extra)}}) {
    SFS_RETURN_IF_ERROR(add_extension(cert.get(), nid, value));
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return tls_error("signing certificate");
  }
  return cert;
}

}  // namespace

std::string openssl_error_text() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!text.empty()) {
      text += "; ";
    }
    text += buf;
  }
  return text.empty() ? "unknown TLS error" : text;
}

Result<void> generate_self_signed(const std::filesystem::path& cert_file,
                                  const std::filesystem::path& key_file,
                                  const std::vector<std::string>& extra_names) {
  PKeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return tls_error("generating key");
  }
  SFS_ASSIGN_OR_RETURN(auto cert, build_certificate(key.get(), extra_names));
  // Both files are created before either is written, and both are removed
  // on failure: a key never ends up beside a certificate it does not match.
  SFS_ASSIGN_OR_RETURN(auto cert_out, create_exclusive(cert_file, 0644));
  auto key_out = create_exclusive(key_file, 0600);
  if (!key_out) {
    cert_out.reset();
    ::unlink(cert_file.c_str());
    return key_out.error();
  }
  const bool written =
      PEM_write_PrivateKey(key_out->get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 0 &&
      PEM_write_X509(cert_out.get(), cert.get()) != 0 && std::fflush(key_out->get()) == 0 &&
      std::fflush(cert_out.get()) == 0;
  if (!written) {
    key_out->reset();
    cert_out.reset();
    ::unlink(key_file.c_str());
    ::unlink(cert_file.c_str());
    return tls_error("writing " + cert_file.string() + " and " + key_file.string());
  }
  return {};
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    if (i > 0) {
      out += ':';
    }
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

Result<std::vector<std::string>> fingerprints_of_file(const std::filesystem::path& pem_file) {
  FilePtr in(std::fopen(pem_file.c_str(), "r"));
  if (!in) {
    return errno_error(Errc::kLocal, "cannot read " + pem_file.string(), errno);
  }
  std::vector<std::string> out;
  while (X509* cert = PEM_read_X509(in.get(), nullptr, nullptr, nullptr)) {
    out.push_back(fingerprint(cert));
    X509_free(cert);
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  if (out.empty()) {
    return make_error(Errc::kLocal, pem_file.string() + " holds no PEM certificate");
  }
  return out;
}

bool is_self_signed_file(const std::filesystem::path& pem_file) {
  FilePtr in(std::fopen(pem_file.c_str(), "r"));
  if (!in) {
    return true;
  }
  X509* cert = PEM_read_X509(in.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  if (cert == nullptr) {
    return true;
  }
  // Issued by itself: its issuer is its subject and its own key verifies
  // its signature.
  const bool self = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
                    X509_verify(cert, X509_get0_pubkey(cert)) == 1;
  X509_free(cert);
  return self;
}

}  // namespace sfs::tls
