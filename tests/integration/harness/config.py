"""Where the binaries are, the timeouts, default users and the client's exit codes."""

import os


# tests/integration, the directory above this package.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(HERE))
SERVER_BIN = os.environ.get("SFS_SERVER_BIN") or os.path.join(REPO, "build", "apps", "sfs-server")
# The server refuses to stay root unless told (--run-as / --allow-root);
# the tests run as whoever runs them, often root in CI.
SERVER_ROOT_ARGS = ["--allow-root"] if os.geteuid() == 0 else []
CLIENT_BIN = os.environ.get("SFS_CLIENT_BIN") or os.path.join(REPO, "build", "apps", "sfs")
# sfs-admin is built next to sfs-server.
ADMIN_BIN = (os.environ.get("SFS_ADMIN_BIN")
             or os.path.join(os.path.dirname(SERVER_BIN), "sfs-admin"))

HOST = "127.0.0.1"
# "ENDPOINT BUCKET KEYS_FILE": the servers tests start keep their files on
# S3 there, each under a prefix of its own (test_s3_suites.py sets it to
# run the storage suites again on a one-node Ceph).
S3_SERVER = os.environ.get("SFS_TEST_S3_SERVER", "").split()
# Safety nets only (a test never asserts that something happened within them), so
# generous: the machine may be busy.
START_TIMEOUT = 60.0    # server start-up, until it prints its port
STOP_TIMEOUT = 20.0     # SIGTERM grace period before SIGKILL
CLIENT_TIMEOUT = 60.0   # one client invocation
RAW_TIMEOUT = 10.0      # one raw-protocol read

DEFAULT_USERS = {"alice": "alice-pw-7Qx", "bob": "bob-pw-3Kz"}

# Client exit codes (docs: sfs --help, src/client/exit_codes.h).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_REFUSED = 5
EXIT_NETWORK = 6
EXIT_TRUST = 7
EXIT_LOCAL = 8
EXIT_TOO_LARGE = 9
EXIT_SERVER_IO = 10
EXIT_INTEGRITY = 11

LOGIN_FAILED = b"sfs: login failed: wrong user name or password\n"
