"""A throwaway PostgreSQL server (scripts/pg-one-node), for the tests of the
cluster's shared state: started in a temporary directory of its own, stopped
(exactly the postmaster it started) and removed at the end.

    with PostgresServer() as pg:
        pg.url        # "postgresql://sfs@127.0.0.1:PORT/sfs" (no password in it)
        pg.env()      # os.environ plus PGPASSFILE, for sfs-server and sfs-admin
        pg.psql("SELECT 1")
        pg.stop(); pg.restart()   # the database away for a while

Suites that use it skip themselves when PostgreSQL is not installed.
"""

import glob
import os
import re
import subprocess

from .config import REPO
from .files import make_temp_dir, remove_tree
from .service import Service

SCRIPT = os.path.join(REPO, "scripts", "pg-one-node")
PG_TIMEOUT = 120  # a safety net: it starts in 2-5 s


def postgres_missing():
    """Why a server cannot start here (a skip reason), or None."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL is not installed (scripts/install-deps)"
    return None


class PostgresStartError(Exception):
    pass


class PostgresServer(Service):
    def __init__(self):
        self.directory = None
        self.home = None
        self.url = None
        self.passfile = None

    def start(self):
        self.directory = make_temp_dir("sfs-it-pg-")
        os.chmod(self.directory, 0o711)  # the postgres user (as root) passes through
        self.home = os.path.join(self.directory, "pg")
        done = self._script("start", "--timeout", str(PG_TIMEOUT))
        url = re.search(r"^url (\S+)$", done.stdout, re.M)
        passfile = re.search(r"^passfile (\S+)$", done.stdout, re.M)
        if not url or not passfile:
            self.close()
            raise PostgresStartError("pg-one-node start printed no url: %r" % done.stdout)
        self.url, self.passfile = url.group(1), passfile.group(1)

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env["PGPASSFILE"] = self.passfile
        return env

    def psql(self, sql):
        """Runs SQL as the superuser; returns its unaligned, tuples-only output."""
        done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", self.url, "-c", sql], env=self.env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=PG_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError("psql failed: " + done.stderr.strip())
        return done.stdout.strip()

    def reset_sfs_schema(self):
        """Drops what sfs-server's migrations made (every table and sequence
        named sfs_*, and the users' trigger function), so that the next node
        migrates a fresh schema whatever steps there are (one list of
        them: src/pg/schema.cc)."""
        self.psql(r"""DO $$DECLARE r record; BEGIN
  FOR r IN SELECT tablename AS name FROM pg_tables
           WHERE schemaname = 'public' AND tablename LIKE 'sfs\_%' LOOP
    EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.name) || ' CASCADE';
  END LOOP;
  FOR r IN SELECT sequencename AS name FROM pg_sequences
           WHERE schemaname = 'public' AND sequencename LIKE 'sfs\_%' LOOP
    EXECUTE 'DROP SEQUENCE IF EXISTS ' || quote_ident(r.name);
  END LOOP;
END$$; DROP FUNCTION IF EXISTS sfs_users_bump""")

    def stop(self, kill=False):
        """Stops the server (fast shutdown, or SIGKILL); returns once it is gone."""
        if self.home is not None and os.path.isdir(self.home):
            self._script("stop", *(["--kill"] if kill else []))

    def restart(self):
        """Starts it again on the same port; returns once it accepts connections."""
        self._script("restart", "--timeout", str(PG_TIMEOUT))

    def close(self):
        try:
            self.stop()
        finally:
            remove_tree(self.directory)
            self.directory = None

    def _script(self, command, *args):
        done = subprocess.run([SCRIPT, command, self.home] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=2 * PG_TIMEOUT)
        if done.returncode != 0:
            raise PostgresStartError("pg-one-node %s failed (%s): %s"
                                     % (command, done.returncode, done.stderr.strip()))
        return done


class WithPostgres:
    """A unittest.TestCase mixin: one throwaway PostgreSQL for the class
    (self.pg), with PGPASSFILE pointing at its password file meanwhile (the
    servers and sfs-admin find the password there, never in the URL)."""

    pg = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = PostgresServer()
        cls.pg.start()
        cls.saved_passfile = os.environ.get("PGPASSFILE")
        os.environ["PGPASSFILE"] = cls.pg.passfile

    @classmethod
    def tearDownClass(cls):
        if cls.saved_passfile is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = cls.saved_passfile
        cls.pg.close()
        super().tearDownClass()

