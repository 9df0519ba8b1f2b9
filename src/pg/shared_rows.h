#pragma once
// What the PostgreSQL tables of shared state (locks, uploads, browser
// sessions) have in common: the advisory lock that makes one user's
// changes take turns across nodes, and checks on rows read back (a row is
// input too: bounded and checked before use).

#include <cstddef>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::pg {

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)).
inline constexpr int kLocksClass = 0x5346'0001;
inline constexpr int kUploadsClass = 0x5346'0002;
inline constexpr int kSessionsClass = 0x5346'0003;

// Holds the lock `what` on `user` until the transaction ends.
inline void lock_user(pqxx::work& tx, int what, std::string_view user) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", what, std::string(user));
}

// The longest text a row of these tables may hand back (a path, an owner,
// tus metadata); longer means a row not written by sfs.
inline constexpr std::size_t kMaxRowText = std::size_t{64} << 10;

// kIo "bad row in TABLE ..." for a row that breaks the rules.
inline Error bad_row(std::string_view table) {
  return make_error(Errc::kIo, "bad row in " + std::string(table) + " (not written by sfs?)");
}

}  // namespace sfs::pg
