#pragma once
// Every setting and limit of the server, in one place, with its default.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace sfs::server {

// Ranges of the settings that have no protocol limit to follow.
inline constexpr std::uint64_t kMaxMinTransferRate = std::uint64_t{1} << 30;  // 1 GiB/s
// At least a compressed frame and its inflated bytes, twice, at the largest
// frame (4 MiB): one transfer always fits.
inline constexpr std::uint64_t kMinTransferMemory = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxTransferMemory = std::uint64_t{1} << 40;

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9001;
  // The HTTPS face (WebDAV at /dav/, docs/webdav.md) listens here, on the
  // same host with the same certificate; 0: no HTTPS.
  std::uint16_t https_port = 0;
  // Request line and headers of one HTTP request together.
  std::size_t max_http_header_bytes = 16384;
  std::filesystem::path auth_file = "id_passwd.txt";
  // A PostgreSQL URL (docs/cluster.md): the users live there instead of in
  // auth_file, shared by every node on it. Empty: the auth file.
  std::string db_url;
  // A directory, or s3://BUCKET[/PREFIX]: the users' files in that bucket
  // at s3_endpoint (docs/storage.md, "S3"), with the keys from
  // s3_credentials or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
  std::filesystem::path storage_dir = "server_storage";
  std::string s3_endpoint;
  std::string s3_region = "us-east-1";
  std::filesystem::path s3_credentials;
  // Bytes per multipart part, which is also what one upload buffers.
  std::uint64_t s3_part_size = std::uint64_t{8} << 20;  // S3BackendSettings::kMinPartSize
  std::filesystem::path cert_file = "server.crt";
  std::filesystem::path key_file = "server.key";
  unsigned threads = 0;           // 0: one per core
  bool allow_tls12 = false;       // also offer TLS 1.2 (ECDHE + AEAD only)
  bool offer_compression = true;  // agree to COMPRESS zstd (--no-compress: refuse)

  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds io_timeout{60};  // one stalled read or write
  // A file transfer moving fewer bytes per second than this, averaged over
  // io_timeout, is ended (nginx's send_timeout, Apache's MinRate); 0: no
  // minimum, each read and write of a transfer gets io_timeout instead.
  std::uint64_t min_transfer_rate = 1024;
  // Memory for the file data in flight, all transfers together
  // (net::MemoryBudget); short of it, transfers use smaller buffers or wait.
  std::uint64_t max_transfer_memory = std::uint64_t{256} << 20;
  // A password Argon2id accepted is recognized for this long by a keyed
  // digest kept in memory (like sudo's 5-minute timestamp); 0: never.
  std::chrono::seconds login_cache_ttl{300};
  unsigned max_login_attempts = 3;
  // Argon2id checks running at once (each takes 64 MiB); more logins wait.
  unsigned max_concurrent_hashing = 2;
  unsigned max_connections = 1024;
  unsigned max_connections_per_source = 128;
  unsigned max_unauthenticated = 128;  // connected but not logged in yet (the pre-login pool)
  // When that pool is full, an address holding fewer than this many of its
  // places takes the oldest of the address holding the most (0: never).
  unsigned unauthenticated_share_per_source = 10;
  std::uint64_t max_file_bytes = std::uint64_t{1} << 40;  // 1 TiB
  // Protocol limits, at most the protocol's own (docs/protocol.md).
  std::size_t max_line_bytes = 16384;
  std::uint32_t max_frame_bytes = 4U << 20;
  std::size_t max_path_bytes = 4096;
  // Per-user quota; 0 means none. Partial uploads count in the bytes.
  std::uint64_t quota_bytes = 0;
  std::uint64_t quota_files = 0;
  // How long the partial file of an interrupted upload is kept for resume.
  std::chrono::seconds partial_ttl{24 * 3600};
  // tus uploads in progress per user; beyond, the least recently used goes.
  unsigned max_tus_uploads = 64;
  // The browser app's sessions (docs/webapp.md): ended when unused this
  // long, and this long after their login whatever the use.
  std::chrono::seconds web_session_idle{1800};
  std::chrono::seconds web_session_lifetime{43200};
  // On SIGTERM/SIGINT: how long transfers in flight may take to finish.
  std::chrono::seconds drain_timeout{30};
  // On SIGTERM/SIGINT, before the drain: how long the server goes on
  // accepting and serving as usual while its health check already answers
  // 503, so that a load balancer takes it out of its pool first
  // (docs/cluster.md). 0: the drain starts at once.
  std::chrono::seconds drain_grace{0};
  // Trusted load balancers (server/proxy_protocol.h): addresses and CIDR
  // blocks, comma-separated. A connection from one must begin with a PROXY
  // protocol header, whose client address then stands for the peer's
  // everywhere. Empty: the PROXY protocol is off.
  std::string proxy_protocol_from;
};

}  // namespace sfs::server
