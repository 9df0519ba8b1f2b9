#include "tls/certificate.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace sfs::tls {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::read_file;

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    cert_ = base_ / "server.crt";
    key_ = base_ / "server.key";
  }

  // The fingerprint as the openssl command line prints it (after the '=').
  static std::string openssl_fingerprint(const fs::path& pem) {
    const std::string command =
        "openssl x509 -noout -fingerprint -sha256 -in '" + pem.string() + "' 2>/dev/null";
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
      return "popen failed";
    }
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof(buf), p) != nullptr) {
      out += buf;
    }
    ::pclose(p);
    const std::size_t eq = out.find('=');
    if (eq == std::string::npos) {
      return "no '=' in: " + out;
    }
    std::string fp = out.substr(eq + 1);
    while (!fp.empty() && (fp.back() == '\n' || fp.back() == '\r')) {
      fp.pop_back();
    }
    return fp;
  }

  static X509* load_cert(const fs::path& pem) {
    FILE* f = std::fopen(pem.c_str(), "r");
    if (f == nullptr) {
      return nullptr;
    }
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    (void)std::fclose(f);
    return cert;
  }

  static EVP_PKEY* load_key(const fs::path& pem) {
    FILE* f = std::fopen(pem.c_str(), "r");
    if (f == nullptr) {
      return nullptr;
    }
    EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    (void)std::fclose(f);
    return key;
  }

  static bool is_fingerprint_format(const std::string& fp) {
    if (fp.size() != 95) {
      return false;
    }
    for (std::size_t i = 0; i < fp.size(); ++i) {
      const char c = fp[i];
      if (i % 3 == 2) {
        if (c != ':') {
          return false;
        }
      } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  test::TempDir tmp_{"sfs-cert"};
  const fs::path base_ = tmp_.path();
  fs::path cert_;
  fs::path key_;
};

TEST_F(CertificateTest, GenerateWritesPrivateKeyAndCertificate) {
  auto r = generate_self_signed(cert_, key_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(fs::is_regular_file(key_));
  ASSERT_TRUE(fs::is_regular_file(cert_));
  EXPECT_EQ(mode_of(key_), 0600U);
  EXPECT_EQ(mode_of(cert_) & 0022, 0U);  // never group or other writable
  EXPECT_NE(read_file(cert_).find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_EQ(read_file(cert_).find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(read_file(key_).find("PRIVATE KEY-----"), std::string::npos);

  std::unique_ptr<X509, decltype(&X509_free)> cert(load_cert(cert_), X509_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(load_key(key_), EVP_PKEY_free);
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
  // Self-signed: verifies with its own key.
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1);
  // Valid now, and for about ten years.
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(cert.get())), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 1);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_GT(days, 9 * 365);
  EXPECT_LE(days, 10 * 365 + 1);
}

TEST_F(CertificateTest, CertificateNamesLocalhostAndExtraNames) {
  ASSERT_TRUE(generate_self_signed(cert_, key_, {"files.example", "10.1.2.3", "fd00::5"}).ok());
  std::unique_ptr<X509, decltype(&X509_free)> cert(load_cert(cert_), X509_free);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "files.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.1.2.3", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "fd00::5", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "evil.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.1.2.4", 0), 0);
}

TEST_F(CertificateTest, RefusesToOverwrite) {
  ASSERT_TRUE(generate_self_signed(cert_, key_).ok());
  const std::string cert_before = read_file(cert_);
  const std::string key_before = read_file(key_);
  auto again = generate_self_signed(cert_, key_);
  ASSERT_FALSE(again.ok());
  EXPECT_FALSE(again.error().message.empty());
  EXPECT_EQ(read_file(cert_), cert_before);
  EXPECT_EQ(read_file(key_), key_before);
  EXPECT_EQ(mode_of(key_), 0600U);
}

TEST_F(CertificateTest, RefusesWhenOnlyTheKeyExists) {
  std::ofstream(key_) << "existing key";
  auto r = generate_self_signed(cert_, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(read_file(key_), "existing key");
  EXPECT_FALSE(fs::exists(cert_));
}

TEST_F(CertificateTest, RefusesWhenOnlyTheCertificateExists) {
  std::ofstream(cert_) << "existing cert";
  auto r = generate_self_signed(cert_, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(read_file(cert_), "existing cert");
  // Nothing half-done stays behind: a new key next to the old certificate
  // would be a pair that does not match.
  EXPECT_FALSE(fs::exists(key_));
}

TEST_F(CertificateTest, FingerprintMatchesOpensslCommandLine) {
  ASSERT_TRUE(generate_self_signed(cert_, key_).ok());
  auto fps = fingerprints_of_file(cert_);
  ASSERT_TRUE(fps.ok()) << fps.error().message;
  ASSERT_EQ(fps->size(), 1U);
  const std::string& fp = (*fps)[0];
  EXPECT_EQ(fp.size(), 95U);
  EXPECT_TRUE(is_fingerprint_format(fp)) << fp;
  EXPECT_EQ(fp, openssl_fingerprint(cert_));
  // fingerprint(X509*) agrees.
  std::unique_ptr<X509, decltype(&X509_free)> cert(load_cert(cert_), X509_free);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(fingerprint(cert.get()), fp);
}

TEST_F(CertificateTest, EveryGenerationHasItsOwnFingerprint) {
  ASSERT_TRUE(generate_self_signed(cert_, key_).ok());
  ASSERT_TRUE(generate_self_signed(base_ / "b.crt", base_ / "b.key").ok());
  auto a = fingerprints_of_file(cert_);
  auto b = fingerprints_of_file(base_ / "b.crt");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE((*a)[0], (*b)[0]);
  // A bundle yields both, in order.
  std::ofstream(base_ / "bundle.pem") << read_file(cert_) << read_file(base_ / "b.crt");
  auto both = fingerprints_of_file(base_ / "bundle.pem");
  ASSERT_TRUE(both.ok()) << both.error().message;
  ASSERT_EQ(both->size(), 2U);
  EXPECT_EQ((*both)[0], (*a)[0]);
  EXPECT_EQ((*both)[1], (*b)[0]);
}

TEST_F(CertificateTest, NonPemFileIsAnError) {
  std::ofstream(base_ / "junk.pem") << "this is not a certificate\n";
  auto r = fingerprints_of_file(base_ / "junk.pem");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLocal);
  std::ofstream(base_ / "empty.pem") << "";
  EXPECT_FALSE(fingerprints_of_file(base_ / "empty.pem").ok());
}

TEST_F(CertificateTest, KeyFileIsNotACertificate) {
  ASSERT_TRUE(generate_self_signed(cert_, key_).ok());
  auto r = fingerprints_of_file(key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLocal);
}

TEST_F(CertificateTest, MissingFileIsAnError) {
  auto r = fingerprints_of_file(base_ / "missing.pem");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLocal);
  EXPECT_NE(r.error().message.find("missing.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sfs::tls
