# Every dependency comes from a Debian 12 package (see scripts/install-deps).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
# toml++ (libtomlplusplus-dev): Debian builds it as a shared library.
find_package(tomlplusplus 3 CONFIG REQUIRED)
find_package(GTest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# Line editing for `sfs shell`: libedit (BSD), not GNU readline (GPL).
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)
# Optional compression on the wire (sfs --compress): zstd, BSD licensed.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
# WebDAV request bodies (src/dav): expat, MIT licensed; 2.5 bounds entity
# amplification, and sfs refuses DOCTYPEs anyway.
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
# The S3 storage backend's HTTP (src/storage/s3): libcurl, which signs AWS
# SigV4 itself (CURLOPT_AWS_SIGV4, 7.75+; CURLOPT_PROTOCOLS_STR, 7.85+;
# Debian 12 has 7.88).
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.85)
# The cluster's shared state (src/pg, sfs-server --db): libpqxx 6.4 over
# libpq (PostgreSQL's own client library).
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
