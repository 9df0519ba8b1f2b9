#include "pg/schema.h"

#include <array>
#include <string>

#include "pg/database.h"

namespace sfs::pg {
namespace {

// Any constant of our own: the advisory lock that serialises migrations.
constexpr std::int64_t kMigrationLock = 0x5f5f'5346'5300'0001;

struct Step {
  std::int64_t version;
  const char* what;
  const char* sql;
};

// Append only: a step, once released, never changes (databases ran it).
constexpr std::array kSteps{
    Step{1, "users",
         R"SQL(
CREATE TABLE sfs_users (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$'),
  secret text NOT NULL CHECK (secret <> '' AND secret !~ '[\n\r:]'),
  changed timestamptz NOT NULL DEFAULT now()
);
-- One counter per kind of shared state, bumped by every change, so that a
-- node asks "changed?" with one tiny query.
CREATE TABLE sfs_generations (
  what text PRIMARY KEY,
  generation bigint NOT NULL
);
INSERT INTO sfs_generations VALUES ('users', 0);
CREATE FUNCTION sfs_users_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sfs_generations SET generation = generation + 1 WHERE what = 'users';
  RETURN NULL;
END $$;
CREATE TRIGGER sfs_users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sfs_users
  FOR EACH STATEMENT EXECUTE FUNCTION sfs_users_bump();
)SQL"},
    Step{2, "quota ledger",
         R"SQL(
-- Per user: what their tree takes (NULL until a node's first scan ends),
-- everything ever booked as added (a scan racing with uploads adds what
-- was booked while it ran), and which node scans it until when (a lease:
-- a node that dies mid-scan holds it no longer).
CREATE TABLE sfs_quota_usage (
  name text PRIMARY KEY,
  bytes bigint,
  entries bigint,
  added_bytes bigint NOT NULL DEFAULT 0,
  added_entries bigint NOT NULL DEFAULT 0,
  scanned_at timestamptz,
  stale boolean NOT NULL DEFAULT false,
  scan_until timestamptz
);
-- The nodes holding reservations, each seen at its last heartbeat. A node
-- not seen for a while is dead: deleting it deletes its holds.
CREATE TABLE sfs_quota_nodes (
  node text PRIMARY KEY,
  seen timestamptz NOT NULL
);
-- What the operations in flight on one node hold of one user's quota.
CREATE TABLE sfs_quota_holds (
  node text NOT NULL REFERENCES sfs_quota_nodes ON DELETE CASCADE,
  name text NOT NULL,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  entries bigint NOT NULL CHECK (entries >= 0),
  PRIMARY KEY (node, name)
);
CREATE INDEX sfs_quota_holds_name ON sfs_quota_holds (name);
)SQL"},
    // Numbered 3 on its branch (issue 15, the S3 claims); the merge gives
    // it the number after the steps merged before it.
    Step{3, "partial claims",
         R"SQL(
-- The nodes holding claims on the S3 backend's partials, each seen at its
-- last heartbeat. A node not seen for a while is dead: deleting it
-- deletes its claims and holds.
CREATE TABLE sfs_claim_nodes (
  node text PRIMARY KEY,
  seen timestamptz NOT NULL
);
-- One upload at a time continues a kept partial: the claim on its sidecar
-- (an object key) belongs to one node.
CREATE TABLE sfs_partial_claims (
  sidecar text PRIMARY KEY,
  node text NOT NULL REFERENCES sfs_claim_nodes ON DELETE CASCADE
);
CREATE INDEX sfs_partial_claims_node ON sfs_partial_claims (node);
-- The multipart uploads the uploads in progress on a node write (the
-- stale sweep of every node leaves them alone).
CREATE TABLE sfs_upload_holds (
  upload_id text NOT NULL,
  node text NOT NULL REFERENCES sfs_claim_nodes ON DELETE CASCADE,
  PRIMARY KEY (upload_id, node)
);
CREATE INDEX sfs_upload_holds_node ON sfs_upload_holds (node);
)SQL"},
    Step{4, "locks, uploads, browser sessions",
         R"SQL(
-- WebDAV locks (files::LockTable). Times are the database's (now()), so
-- the nodes' clocks do not matter.
CREATE TABLE sfs_locks (
  token text PRIMARY KEY,
  name text NOT NULL,
  root text NOT NULL,
  exclusive boolean NOT NULL,
  deep boolean NOT NULL,
  owner_xml text NOT NULL,
  timeout_s bigint NOT NULL CHECK (timeout_s >= 0),
  expires timestamptz NOT NULL
);
CREATE INDEX sfs_locks_name ON sfs_locks (name);
CREATE INDEX sfs_locks_expires ON sfs_locks (expires);
-- tus uploads in progress (files::UploadTable). A request writing one
-- holds a claim until busy_until (a lease: a node that dies mid-request
-- holds it no longer); `used` orders them for eviction.
CREATE SEQUENCE sfs_uploads_used;
CREATE TABLE sfs_uploads (
  id text PRIMARY KEY,
  name text NOT NULL,
  path text NOT NULL,
  metadata text NOT NULL,
  length bigint NOT NULL CHECK (length >= 0),
  "offset" bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0),
  digest text NOT NULL DEFAULT '',
  done boolean NOT NULL DEFAULT false,
  claim text,
  busy_until timestamptz,
  expires timestamptz NOT NULL,
  used bigint NOT NULL
);
CREATE INDEX sfs_uploads_name ON sfs_uploads (name, used);
-- The browser app's sessions (auth::WebSessionTable), by the digest of
-- the cookie (never the cookie), with the user's password row's time at
-- the login: another password ends them.
CREATE TABLE sfs_web_sessions (
  key text PRIMARY KEY,
  name text NOT NULL,
  csrf text NOT NULL,
  password_changed timestamptz NOT NULL,
  created timestamptz NOT NULL DEFAULT now(),
  used timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sfs_web_sessions_name ON sfs_web_sessions (name, created);
)SQL"},
};

}  // namespace

std::int64_t latest_schema_version() { return kSteps.back().version; }

Result<void> migrate_schema(Database& db) {
  return db.run([&](pqxx::work& tx) -> Result<void> {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    tx.exec0("CREATE TABLE IF NOT EXISTS sfs_schema (version bigint NOT NULL)");
    const pqxx::result rows = tx.exec("SELECT max(version) FROM sfs_schema");
    const std::int64_t current = rows[0][0].is_null() ? 0 : rows[0][0].as<std::int64_t>();
    if (current > latest_schema_version()) {
      return make_error(Errc::kIo, db.name() + " has schema version " + std::to_string(current) +
                                       ", newer than this program's " +
                                       std::to_string(latest_schema_version()) +
                                       " (a newer sfs-server migrated it): upgrade this one");
    }
    for (const Step& step : kSteps) {
      if (step.version > current) {
        tx.exec0(step.sql);
        tx.exec_params0("INSERT INTO sfs_schema (version) VALUES ($1)", step.version);
      }
    }
    return {};
  });
}

}  // namespace sfs::pg
