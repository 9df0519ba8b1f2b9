"""sfs-server --config / --check-config and the client's profiles
(~/.config/sfs/config.toml, sfs --profile), over the real binaries."""

import os
import re
import socket
import subprocess
import time
import unittest

from sfs_harness import (CLIENT_TIMEOUT, DEFAULT_USERS, EXIT_OK, EXIT_USAGE, HOST,
                         SERVER_BIN, SERVER_ROOT_ARGS, Client, Server, free_port,
                         make_temp_dir, read_file, remove_tree, run_client, write_file)

# Flags that are not settings: they say where the settings are or what to do.
NOT_SETTINGS = {"help", "config", "check-config", "version"}


def run_server(args, cwd, timeout=30):
    return subprocess.run([SERVER_BIN] + [str(a) for a in args], cwd=cwd, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def settings_of(output):
    """The key = value lines of --check-config output as a dict of strings."""
    settings = {}
    for line in output.decode().splitlines():
        key, sep, value = line.partition(" = ")
        assert sep, "not a key = value line: %r" % line
        assert key not in settings, "key printed twice: %r" % key
        settings[key] = value
    return settings


class ConfigServer(Server):
    """A Server whose only arguments are the ones given: where it listens
    comes from its config file, unless a flag says otherwise."""

    def __init__(self, args, **kwargs):
        super().__init__(**kwargs)
        self.args = list(args)

    def start(self):
        self.directory = make_temp_dir("sfs-it-config-server-")
        try:
            self._prepare_directory()
            self._log = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                [SERVER_BIN] + self.args + SERVER_ROOT_ARGS, cwd=self.directory,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
                start_new_session=True)
            self._read_banner()
        except BaseException:
            self.close()
            raise


class ServerConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = make_temp_dir("sfs-it-config-")
        self.addCleanup(remove_tree, self.dir)
        self.file = os.path.join(self.dir, "sfs-server.toml")
        # The default auth file: --check-config fails without one, as the start does.
        write_file(os.path.join(self.dir, "id_passwd.txt"), b"alice:pw\n")

    def write_config(self, text):
        write_file(self.file, text.encode())

    def check_config(self, *flags):
        return run_server(["--config", self.file, "--check-config"] + list(flags)
                          + SERVER_ROOT_ARGS, cwd=self.dir)

    def assertOneLineError(self, result, expected):
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        self.assertEqual(result.stdout, b"")
        self.assertEqual(result.stderr.decode(), "sfs-server: %s\n" % expected)

    def test_server_listens_on_the_port_of_its_file(self):
        port = free_port()
        state = os.path.join(self.dir, "state")
        os.mkdir(state)
        self.write_config(
            'host = "127.0.0.1"\nport = %d\nstorage = "%s/files"\ncert = "%s/server.crt"\n'
            'key = "%s/server.key"\nlog-format = "json"\nmax-connections = 8\n'
            % (port, state, state, state))
        with ConfigServer(["--config", self.file]) as server:
            self.assertEqual(server.port, port)
            self.assertTrue(os.path.isdir(os.path.join(state, "files")))
            # The certificate went where the file said, and a client can use it.
            with Client(server) as client:
                client_args = ["--host", HOST, "--port", str(port), "--user", "alice",
                               "--ca-file", os.path.join(state, "server.crt")]
                write_file(client.path("a.txt"), b"from a configured server\n")
                result = run_client(client_args + ["put", "a.txt"], config_home=client.config_home,
                                    cwd=client.cwd, password=DEFAULT_USERS["alice"])
                self.assertEqual(result.returncode, EXIT_OK, result)
            self.assertEqual(read_file(os.path.join(state, "files", "u", "alice", "a.txt")),
                             b"from a configured server\n")
            # log-format = "json" from the file took effect.
            self.assertTrue(server.wait_for_log(r'^\{.*"event":"operation"'), server.log_text())

    def test_flag_overrides_file(self):
        file_port, flag_port = free_port(), free_port()
        self.write_config('host = "127.0.0.1"\nport = %d\nidle-timeout = 5\n' % file_port)
        with ConfigServer(["--config", self.file, "--port", str(flag_port)]) as server:
            self.assertEqual(server.port, flag_port)
        result = self.check_config("--port", str(flag_port), "--idle-timeout", "7")
        self.assertEqual(result.returncode, 0, result)
        settings = settings_of(result.stdout)
        self.assertEqual(settings["port"], str(flag_port))
        self.assertEqual(settings["idle-timeout"], "7")
        self.assertEqual(settings["host"], '"127.0.0.1"')

    def test_check_config_prints_effective_settings_without_binding(self):
        port = free_port()
        self.write_config('port = %d\nstorage = "files"\ntls12 = true\nlog-format = "json"\n'
                          'quota-files = 1000\n' % port)
        result = self.check_config()
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stderr, b"")
        settings = settings_of(result.stdout)
        self.assertEqual(settings["port"], str(port))
        self.assertEqual(settings["storage"], '"files"')
        self.assertEqual(settings["tls12"], "true")
        self.assertEqual(settings["log-format"], '"json"')
        self.assertEqual(settings["quota-files"], "1000")
        self.assertEqual(settings["max-connections"], "1024")  # a default
        self.assertEqual(settings["run-as"], '""')
        # Nothing was created and the port was not bound.
        self.assertEqual(sorted(os.listdir(self.dir)), ["id_passwd.txt", "sfs-server.toml"])
        with socket.socket() as probe:
            probe.bind((HOST, port))
        # The output is itself a valid settings file giving the same settings.
        write_file(self.file, result.stdout)
        again = self.check_config()
        self.assertEqual(again.returncode, 0, again)
        self.assertEqual(again.stdout, result.stdout)

    def test_check_config_without_a_file_prints_the_defaults(self):
        result = run_server(["--check-config", "--port", "1234"] + SERVER_ROOT_ARGS, cwd=self.dir)
        self.assertEqual(result.returncode, 0, result)
        settings = settings_of(result.stdout)
        self.assertEqual(settings["port"], "1234")
        self.assertEqual(settings["auth-file"], '"id_passwd.txt"')

    def test_every_flag_is_a_setting(self):
        help_text = run_server(["--help"], cwd=self.dir).stdout.decode()
        flags = set(re.findall(r"^\s+(?:-\w,\s*)?--([a-z0-9-]+)", help_text, re.M)) - NOT_SETTINGS
        result = run_server(["--check-config"], cwd=self.dir)
        self.assertEqual(set(settings_of(result.stdout)), flags)

    def test_bad_files_are_one_line_errors_with_status_2(self):
        cases = [
            ("port = 9001\n\nprot = 9002\n", "%s:3: prot: unknown setting (see sfs-server --help)"),
            ('port = "9001"\n', "%s:1: port: expected an integer, got a string"),
            ("max-connections = 0\n",
             "%s:1: max-connections: must be between 1 and 1000000 (got 0)"),
            ("idle-timeout = -5\n",
             "%s:1: idle-timeout: must be between 0 and 31536000 seconds (got -5)"),
            ('log-format = "xml"\n', '%s:1: log-format: must be "text" or "json" (got "xml")'),
            ("[server]\nport = 1\n", "%s:1: server: unknown setting (see sfs-server --help)"),
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                self.write_config(text)
                self.assertOneLineError(self.check_config(), expected % self.file)
                # Starting for real fails the same way, before binding.
                result = run_server(["--config", self.file, "--port", "0"] + SERVER_ROOT_ARGS,
                                    cwd=self.dir)
                self.assertOneLineError(result, expected % self.file)

    def test_syntax_error_and_missing_file(self):
        self.write_config("port = 1\nhost = \n")
        result = self.check_config()
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        lines = result.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("sfs-server: %s:2:" % self.file), lines)
        missing = os.path.join(self.dir, "nope.toml")
        result = run_server(["--config", missing, "--check-config"], cwd=self.dir)
        self.assertOneLineError(result, "%s: cannot read: No such file or directory" % missing)

    def test_check_config_fails_where_the_start_would(self):
        # It used to print the settings and exit 0 for what the start refuses.
        os.remove(os.path.join(self.dir, "id_passwd.txt"))
        self.write_config('port = 0\n')
        result = self.check_config()
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(b"port = 0", result.stdout)  # the settings still print
        self.assertRegex(result.stderr.decode(), r"(?m)^sfs-server: .*id_passwd\.txt")
        start = run_server(["--config", self.file] + SERVER_ROOT_ARGS, cwd=self.dir)
        self.assertEqual(start.returncode, 1, start)
        self.assertRegex(start.stderr.decode(), r"id_passwd\.txt")
        # A certificate without its key.
        write_file(os.path.join(self.dir, "id_passwd.txt"), b"alice:pw\n")
        write_file(os.path.join(self.dir, "server.crt"), b"not checked here\n")
        result = self.check_config()
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(b"server.key", result.stderr)
        os.remove(os.path.join(self.dir, "server.crt"))
        self.assertEqual(self.check_config().returncode, 0)

    @unittest.skipUnless(os.geteuid() == 0, "needs root: the check is about running as root")
    def test_check_config_refuses_root_without_run_as(self):
        self.write_config('port = 0\n')
        result = run_server(["--config", self.file, "--check-config"], cwd=self.dir)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(b"refusing to run as root: use --run-as USER (or --allow-root)",
                      result.stderr)
        self.assertEqual(self.check_config().returncode, 0)  # with --allow-root

    def test_overridden_keys_are_still_checked(self):
        self.write_config("port = 70000\n")
        self.assertOneLineError(self.check_config("--port", "9001"),
                                "%s:1: port: must be between 0 and 65535 (got 70000)" % self.file)


class ClientProfileTest(unittest.TestCase):
    """sfs --profile NAME takes host, port, user, ca-file and password-file from
    $XDG_CONFIG_HOME/sfs/config.toml; flags override them."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.client = Client(self.server)
        self.addCleanup(self.client.close)
        self.sfs_dir = os.path.join(self.client.config_home, "sfs")
        os.makedirs(self.sfs_dir)
        # Kept beside the settings file, named relative to it.
        write_file(os.path.join(self.sfs_dir, "server.crt"), read_file(self.server.cert_path))
        write_file(os.path.join(self.sfs_dir, "alice.pw"),
                   (DEFAULT_USERS["alice"] + "\n").encode(), 0o600)
        write_file(self.client.path("hello.txt"), b"hello from a profile\n")
        self.home = os.path.join(self.client.root, "home")  # not where the settings are
        os.mkdir(self.home)

    def write_settings(self, text):
        write_file(os.path.join(self.sfs_dir, "config.toml"), text.encode())

    def profile(self, name, port=None, user="alice"):
        return ('[profile.%s]\nhost = "%s"\nport = %d\nuser = "%s"\nca-file = "server.crt"\n'
                'password-file = "alice.pw"\n' % (name, HOST, port or self.server.port, user))

    def sfs(self, *args):
        """sfs with no connection flag but those given, and no password in the environment."""
        return run_client(list(args), config_home=self.client.config_home, cwd=self.client.cwd,
                          env={"HOME": self.home}, timeout=CLIENT_TIMEOUT)

    def assertUsage(self, result, expected):
        self.assertEqual(result.returncode, EXIT_USAGE, result)
        self.assertEqual(result.stdout, b"")
        self.assertEqual(result.stderr.decode(), "sfs: %s\n" % expected)

    def test_named_profile_connects(self):
        self.write_settings(self.profile("home"))
        result = self.sfs("--profile", "home", "put", "hello.txt")
        self.assertEqual(result.returncode, EXIT_OK, result)
        self.assertEqual(read_file(self.server.stored("alice", "hello.txt")),
                         b"hello from a profile\n")
        listing = self.sfs("--profile", "home", "ls")
        self.assertEqual(listing.returncode, EXIT_OK, listing)
        self.assertIn(b"hello.txt", listing.stdout)
        # The CA file was used: nothing was pinned on first use.
        self.assertFalse(os.path.exists(os.path.join(self.sfs_dir, "known_servers")))

    def test_default_profile_and_flags_override(self):
        wrong_port = free_port()  # nothing listens there
        self.write_settings('default-profile = "home"\n' + self.profile("home", port=wrong_port)
                            + self.profile("bob", user="bob"))
        # The default profile is used without --profile; its port is wrong.
        self.assertNotEqual(self.sfs("ls").returncode, EXIT_OK)
        # Named with --profile, the profile applies and --port wins over it.
        result = self.sfs("--profile", "home", "--port", str(self.server.port), "ls")
        self.assertEqual(result.returncode, EXIT_OK, result)
        # --user beats the profile's user: bob's password file does not fit alice.
        result = self.sfs("--profile", "bob", "--user", "alice", "ls")
        self.assertEqual(result.returncode, EXIT_OK, result)
        result = self.sfs("--profile", "bob", "ls")
        self.assertEqual(result.returncode, 3, result)  # bob with alice's password

    def test_default_profile_stays_with_its_server(self):
        # Issue 16: with a default profile, `sfs --port OTHER --trust-new ls` logged in to
        # whatever answered there as the profile's user with its password file.
        other_port = free_port()  # the profile's server: nothing listens there
        settings = os.path.join(self.sfs_dir, "config.toml")
        self.write_settings('default-profile = "home"\n' + self.profile("home", port=other_port))
        mark = self.server.log_mark()
        result = run_client(["--port", str(self.server.port), "--trust-new", "ls"],
                            config_home=self.client.config_home, cwd=self.client.cwd,
                            env={"HOME": self.home, "SFS_USER": "alice"}, timeout=CLIENT_TIMEOUT)
        self.assertNotEqual(result.returncode, EXIT_OK, result)
        self.assertIn("sfs: note: the default profile home of %s was not used: it is for another "
                      "server (--profile home uses it)" % settings, result.stderr.decode())
        self.assertNoLoginSince(mark)  # no password reached this server
        # Naming the profile's own server (here by --host alone) keeps the profile.
        self.write_settings('default-profile = "home"\n' + self.profile("home"))
        result = self.sfs("--host", HOST, "ls")
        self.assertEqual(result.returncode, EXIT_OK, result)
        result = self.sfs("--port", str(self.server.port), "ls")
        self.assertEqual(result.returncode, EXIT_OK, result)

    def test_no_profile(self):
        self.write_settings('default-profile = "home"\n' + self.profile("home"))
        self.assertEqual(self.sfs("ls").returncode, EXIT_OK)
        mark = self.server.log_mark()
        # Without the profile there is no user, CA file nor password.
        result = self.sfs("--no-profile", "--host", HOST, "--port", str(self.server.port), "ls")
        self.assertNotEqual(result.returncode, EXIT_OK, result)
        self.assertIn(b"no user name", result.stderr)
        self.assertNoLoginSince(mark)
        self.assertUsage(self.sfs("--no-profile", "--profile", "home", "ls"),
                         "--profile and --no-profile contradict each other")

    def test_errors_say_where_settings_came_from(self):
        settings = os.path.join(self.sfs_dir, "config.toml")
        self.write_settings('default-profile = "home"\n'
                            + self.profile("home").replace("alice.pw", "missing.pw"))
        result = self.sfs("ls")
        self.assertNotEqual(result.returncode, EXIT_OK, result)
        lines = result.stderr.decode().splitlines()
        self.assertEqual(lines[-1], "sfs: note: host, port, user, ca-file, password-file from "
                         "[profile.home] of %s (the default profile; --no-profile leaves it "
                         "out)" % settings)
        # A flag given on the command line is not the profile's.
        result = self.sfs("--user", "bob", "ls")
        self.assertIn("sfs: note: host, port, ca-file, password-file from [profile.home]",
                      result.stderr.decode())

    def assertNoLoginSince(self, mark):
        time.sleep(0.2)  # let the server log the end of the connection
        log = self.server.log_since(mark)
        self.assertIsNone(re.search(r"login (ok|failed)", log), log)

    def test_unknown_profile_and_bad_files(self):
        settings = os.path.join(self.sfs_dir, "config.toml")
        self.assertUsage(self.sfs("--profile", "home", "ls"),
                         "no profile home: %s does not exist" % settings)
        self.write_settings(self.profile("home"))
        self.assertUsage(self.sfs("--profile", "work", "ls"), "%s: no profile work" % settings)
        self.write_settings(self.profile("home") + "colour = \"blue\"\n")
        self.assertUsage(
            self.sfs("--profile", "home", "ls"),
            "%s:7: colour: unknown setting (a profile may set host, port, user, ca-file, "
            "password-file, retries)" % settings)
        self.write_settings("[profile.home]\nport = 99999\n")
        self.assertUsage(self.sfs("ls"),
                         "%s:2: port: must be between 1 and 65535 (got 99999)" % settings)


if __name__ == "__main__":
    unittest.main()
