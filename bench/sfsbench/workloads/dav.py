"""What the WebDAV workloads (11-14) share: curl against sfs's HTTPS door,
against Apache mod_dav, and the Apache peer itself (started by the first
workload that needs it)."""

import re

from ..common import PASSWORD, log
from ..peers import ApacheServer

# curl's options for every WebDAV request: as NginxServer.curl_opts (the same
# TLS 1.3 suite sfs negotiates), and Basic auth as the user `bench`.
def curl_opts(cert):
    return ["--silent", "--show-error", "--fail", "--noproxy", "*", "--cacert", str(cert),
            "--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256",
            "-u", f"bench:{PASSWORD}"]


def sfs_curl(b, *args):
    """curl against sfs's HTTPS door (WebDAV at /dav/)."""
    return ["curl", "-q", *curl_opts(b.sfs.cert), *args]


def apache_curl(b, *args):
    return ["curl", "-q", *curl_opts(apache(b).cert), *args]


def warm_logins(b, tools):
    """One request per server before measuring: sfs checks Argon2id at a
    user's first login and then recognizes the password for
    --login-cache-ttl, so no measured request pays it (Apache checks its
    SHA-512 crypt hash on every request)."""
    for tool in tools:
        curl = sfs_curl if tool == "sfs" else apache_curl
        url = b.sfs.dav_url() if tool == "sfs" else apache(b).url()
        if not b.client_run(curl(b, "-X", "OPTIONS", "-o", "/dev/null", url)):
            b.fail(f"WebDAV: {tool} does not answer OPTIONS at {url}")


def apache(b):
    """The Apache mod_dav peer, started once per run."""
    if getattr(b, "apache", None) is None:
        b.apache = ApacheServer(b.t)
        b.apache.start()
        b.extra_servers.append(b.apache)
        b.servers["apache"] = b.apache
        log(f"apache up: :{b.apache.port}")
    return b.apache


HREF = re.compile(r"<(?:\w+:)?href>")


def responses(text):
    """How many resources a 207 Multi-Status body names."""
    return len(HREF.findall(text))
