#pragma once
// The cluster's tables in PostgreSQL, made and migrated by the server
// itself: each version of the schema is one step of SQL, applied in order
// in one transaction under an advisory lock (so nodes starting together
// migrate once), and recorded in sfs_schema. A database whose schema is
// newer than this program knows is refused (a newer node migrated it:
// upgrade this one), never downgraded.
//
//   SFS_RETURN_IF_ERROR(migrate_schema(db));   // Database::open does this

#include <cstdint>

#include "base/result.h"

namespace sfs::pg {

class Database;

// The schema version this program makes and understands.
std::int64_t latest_schema_version();

// Brings the database's schema to latest_schema_version(). kIo with one
// line on failure or when the database's schema is newer.
Result<void> migrate_schema(Database& db);

}  // namespace sfs::pg
