"""The peers sfs is compared with: OpenSSH sshd (sftp) and nginx (curl)."""

import base64
import os
import pwd
import shutil
import subprocess
import time

from .common import PASSWORD
from .procs import check_output, spawn, tree
from .servers import Server, free_port, wait_port


def sshd_config(d, port, user):
    return f"""\
# throwaway sshd for bench/run: loopback only, one test key, sftp only
ListenAddress 127.0.0.1:{port}
HostKey {d}/host_ed25519
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
AllowUsers {user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
MaxStartups 10000
MaxSessions 10
LogLevel INFO
Subsystem sftp internal-sftp
"""


def ssh_client_config(d, port, user):
    return f"""\
Host bench
  HostName 127.0.0.1
  Port {port}
  User {user}
  IdentityFile {d}/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile {d}/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  Compression no
  ControlMaster no
  ControlPath none
  LogLevel ERROR
"""


class SshServer(Server):
    name = "sshd"

    def __init__(self, t):
        self.t = t
        self.dir = t / "ssh"
        self.dir.mkdir()
        self.root = t / "sshroot"  # where sftp reads and writes
        self.root.mkdir()
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        for key in ("host_ed25519", "id_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sfs-bench",
                            "-f", str(self.dir / key)], check=True, timeout=60)
        pub = (self.dir / "id_ed25519.pub").read_text().strip()
        (self.dir / "authorized_keys").write_text(f"restrict {pub}\n")
        os.chmod(self.dir / "authorized_keys", 0o600)
        self.created_run_sshd = False

    def start(self):
        self.port = free_port()
        cfg = self.dir / "sshd_config"
        cfg.write_text(sshd_config(self.dir, self.port, self.user))
        self.config_text = cfg.read_text()
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755)  # sshd's privilege separation directory
            self.created_run_sshd = True
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.command = [sshd, "-D", "-e", "-f", cfg]
        self.logf = open(self.dir / "sshd.log", "ab")
        self.proc = spawn(self.command, stdout=self.logf, stderr=subprocess.STDOUT,
                          new_session=True)
        wait_port(self.port, self.proc, 15, banner=b"SSH-2.0")
        self.idle_procs = 1
        self.settle()
        host_pub = (self.dir / "host_ed25519.pub").read_text().split()
        (self.dir / "known_hosts").write_text(
            f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.client_cfg = self.dir / "ssh_config"
        self.client_cfg.write_text(ssh_client_config(self.dir, self.port, self.user))

    def stop(self):
        super().stop()
        if self.created_run_sshd:
            try:
                os.rmdir("/run/sshd")
            except OSError:
                pass
            self.created_run_sshd = False

    def client(self, tool, batch):
        args = ["sftp", "-F", self.client_cfg, "-b", batch]
        if tool == "sftp-gcm":
            args += ["-c", "aes128-gcm@openssh.com"]
        return args + ["bench"]


def nginx_conf(d, port, cert, key, www):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""\
# throwaway nginx for bench/run: loopback only, TLS 1.3, WebDAV PUT
{user}worker_processes auto;
worker_rlimit_nofile 65536;
pid {d}/nginx.pid;
daemon off;
error_log {d}/error.log warn;
events {{ worker_connections 16384; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log {d}/access.log;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  keepalive_timeout 900s;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    root {www};
    client_max_body_size 0;
    location /dav/ {{
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }}
    location /pub/ {{
      auth_basic "bench";
      auth_basic_user_file {d}/htpasswd;
      autoindex on;
    }}
  }}
}}
"""


class NginxServer(Server):
    name = "nginx"

    def __init__(self, t):
        self.t = t
        self.dir = t / "nginx"
        self.www = t / "www"
        for d in (self.dir / "tmp", self.www / "dav", self.www / "pub"):
            d.mkdir(parents=True)
        self.cert, self.key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(self.key), "-out", str(self.cert)], check=True,
                       capture_output=True, timeout=60)
        crypted = check_output(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD).strip()
        (self.dir / "htpasswd").write_text(f"bench:{crypted}\n")
        self.basic = base64.b64encode(f"bench:{PASSWORD}".encode()).decode()

    def start(self):
        self.port = free_port()
        d = self.dir
        conf = d / "nginx.conf"
        conf.write_text(nginx_conf(d, self.port, self.cert, self.key, self.www))
        self.config_text = conf.read_text()
        self.command = ["nginx", "-p", d, "-c", conf, "-e", d / "error.log"]
        self.logf = open(d / "stderr.log", "ab")
        self.proc = spawn(self.command, stdout=self.logf, stderr=subprocess.STDOUT,
                          new_session=True)
        wait_port(self.port, self.proc, 15)
        deadline = time.monotonic() + 10
        while len(tree(self.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        self.idle_procs = len(tree(self.proc.pid))

    def url(self, path):
        return f"https://127.0.0.1:{self.port}/{path}"

    def curl_opts(self):
        # -q: no ~/.curlrc. Same TLS 1.3 suite as sfs negotiates (AES-128-GCM).
        return ["--silent", "--show-error", "--fail", "--noproxy", "*", "--cacert", str(self.cert),
                "--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256"]

    def curl_config(self):
        """curl_opts() as curl config-file lines, plus the count of new connections."""
        return (f'silent\nshow-error\nfail\nnoproxy = "*"\ncacert = "{self.cert}"\n'
                f'tlsv1.3\ntls13-ciphers = "TLS_AES_128_GCM_SHA256"\n'
                f'write-out = "%{{num_connects}}\\n"\n')

    def curl(self, *args):
        return ["curl", "-q", *self.curl_opts(), *args]


APACHE_MODULES = ("mpm_event", "authz_core", "authz_user", "authn_core", "authn_file",
                  "auth_basic", "dav", "dav_fs", "ssl", "socache_shmcb")


def apache_conf(d, port, user):
    mods = "\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so"
                     for m in APACHE_MODULES)
    # As root, Apache must switch to an unprivileged user (it refuses to serve as root).
    who = f"User {user}\nGroup {user}\n" if user else ""
    return f"""\
# throwaway Apache for bench/run: loopback only, TLS 1.3, mod_dav_fs with Basic auth
ServerRoot {d}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
Mutex file:{d}
{who}{mods}
SSLEngine on
SSLProtocol TLSv1.3
SSLSessionCache shmcb:{d}/ssl_scache(512000)
SSLCertificateFile {d}/cert.pem
SSLCertificateKeyFile {d}/key.pem
DavLockDB {d}/lock/db
DocumentRoot {d}/root
<Directory {d}/root/dav>
  Dav On
  AuthType Basic
  AuthName bench
  AuthUserFile {d}/htpasswd
  Require valid-user
</Directory>
LimitRequestBody 0
KeepAliveTimeout 900
MaxKeepAliveRequests 0
"""


class ApacheServer(Server):
    """Apache httpd with mod_dav_fs (Debian's apache2), the WebDAV peer of workloads
    12 and 13: a foreground process (`apache2 -X`, one process) with its own config,
    certificate and files in the temp dir; as root it serves as www-data."""

    name = "apache"

    def __init__(self, t):
        self.t = t
        self.dir = t / "apache"
        self.dav = self.dir / "root" / "dav"
        for d in (self.dav, self.dir / "lock"):
            d.mkdir(parents=True)
        self.user = "www-data" if os.geteuid() == 0 else None
        if self.user:
            os.chmod(t, 0o711)  # www-data must reach its files below the temp dir
            os.chmod(self.dir, 0o711)
            for d in (self.dav, self.dir / "lock"):
                shutil.chown(d, self.user, self.user)
        self.cert, self.key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", str(self.key), "-out", str(self.cert)], check=True,
                       capture_output=True, timeout=60)
        os.chmod(self.key, 0o644)  # read by the server after it dropped root
        crypted = check_output(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD).strip()
        (self.dir / "htpasswd").write_text(f"bench:{crypted}\n")
        os.chmod(self.dir / "htpasswd", 0o644)

    def start(self):
        self.port = free_port()
        conf = self.dir / "httpd.conf"
        conf.write_text(apache_conf(self.dir, self.port, self.user))
        self.config_text = conf.read_text()
        apache2 = shutil.which("apache2") or "/usr/sbin/apache2"
        self.command = [apache2, "-X", "-f", conf]
        self.logf = open(self.dir / "stderr.log", "ab")
        self.proc = spawn(self.command, stdout=self.logf, stderr=subprocess.STDOUT,
                          new_session=True)
        wait_port(self.port, self.proc, 15)
        self.idle_procs = len(tree(self.proc.pid))

    def give(self, path):
        """Makes a tree the bench wrote under dav/ the server's own."""
        if not self.user:
            return
        for directory, dirs, files in os.walk(path):
            shutil.chown(directory, self.user, self.user)
            for name in files:
                shutil.chown(os.path.join(directory, name), self.user, self.user)

    def url(self, path="", host="127.0.0.1"):
        return f"https://{host}:{self.port}/dav/{path}"
