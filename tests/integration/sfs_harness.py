"""Shared helpers for the sfs integration tests: a facade over the harness/ package,
so that the tests import every helper from here by the name it always had.

Everything here is bounded in time, listens and connects on 127.0.0.1 only
(connecting from other loopback addresses, 127.0.0.2 ..., when asked), and
removes the temporary directories it creates. One module per job:

- harness.config: binaries, timeouts, default users, the client's exit codes.
- harness.waiting: wait_until, the bounded poll every wait goes through.
- harness.files / harness.digests: temporary files and directories; the XXH128
  digest sfs keeps end to end and the replies that carry it.
- harness.certs / harness.auth_files: openssl certificates; auth files made by
  the real sfs-admin (run_admin).
- harness.server: Server, a context manager that runs a real sfs-server in its
  own temporary directory (auth file, storage, certificate) on a free port.
- harness.client: Client / run_client run the real sfs binary without a
  controlling terminal, with its own XDG_CONFIG_HOME.
- harness.raw: RawConnection speaks the wire protocol directly over Python's ssl
  module; tcp_connect makes a plain TCP connection (both from a chosen source).
- harness.faults: FaultProxy, a loopback TCP proxy that cuts connections after N
  bytes in a chosen direction, or slows them down; TlsRecordLog.
- harness.terminal: PtyProcess runs a program on a pseudo-terminal.
- harness.cases: ServerTestCase, the unittest base class.
- harness.webdav: a server with the HTTPS face (--https-port), curl against
  its /dav/, and WebDavCase, the unittest base class of its tests.
- harness.webapp: AppClient, a browser's cookie and CSRF token over
  http.client against the app at /app/.
"""

# Re-exports (pylint: disable=unused-import).
from harness.config import (ADMIN_BIN, CLIENT_BIN, CLIENT_TIMEOUT, DEFAULT_USERS, EXIT_AUTH,
                            EXIT_ERROR, EXIT_INTEGRITY, EXIT_LOCAL, EXIT_NETWORK, EXIT_NOT_FOUND,
                            EXIT_OK, EXIT_REFUSED, EXIT_SERVER_IO, EXIT_TOO_LARGE, EXIT_TRUST,
                            EXIT_USAGE, HERE, HOST, LOGIN_FAILED, RAW_TIMEOUT, REPO, SERVER_BIN,
                            SERVER_ROOT_ARGS, START_TIMEOUT, STOP_TIMEOUT)
from harness.waiting import wait_until
from harness.files import (file_mode, local_partial, make_temp_dir, partial_files_in, read_file,
                           remove_tree, sha256_file, temp_files_in, write_file, write_random_file,
                           write_sparse_file, xattrs_supported)
from harness.digests import (DIGEST_HEX_LENGTH, DIGEST_NAME, DIGEST_XATTR, NO_OFFER, digest_hex,
                             digest_of_pieces, ok_get, ok_put, stored_digest, trailer)
from harness.certs import (openssl_fingerprint, openssl_self_signed)
from harness.auth_files import (hashed_auth_text, run_admin)
from harness.server import (Server, ServerStartError, banner_text, free_port)
from harness.client import (Client, client_env, finish, parse_listing, run_client, start_client,
                            stderr_lines)
from harness.raw import (RawConnection, login_attempt, open_login_connection, percent_encode,
                         tcp_connect, tls13_context)
from harness.faults import (DOWN, TLS_FULL_RECORD, UP, AtData, FaultProxy, ProxyConnection,
                            TlsRecordLog, data_delta)
from harness.terminal import PtyProcess
from harness.cases import ServerTestCase, on_disk_only
from harness.webdav import (CurlReply, WebDavCase, curl, dav_url, https_server,
                            read_until_closed)
from harness.webapp import (COOKIE, AppClient, AppReply, ca_signed_certificate, cookie_value)
