"""Objects on the tests' S3 store (the one-node Ceph RGW), read and made with
curl, which signs AWS SigV4 itself: what a test needs to look at the files a
server keeps on S3 without going through the server."""

import os
import shutil
import subprocess
import urllib.parse
import xml.etree.ElementTree as ElementTree

from .ceph import CephCluster
from .digests import DIGEST_XATTR
from .files import make_temp_dir, remove_tree

REGION = "us-east-1"  # what radosgw's default zonegroup answers to
CURL_TIMEOUT = 60
DIGEST_META = "x-amz-meta-sfs-digest"  # storage/s3/s3_shared.h, kDigestMeta
PROPS_LEAF = ".sfs-props"  # kPropsLeaf: dead properties, an xattr on disk
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
MAX_PAGES = 100  # of 1,000 keys: far more than a test makes


def curl_s3(access_key, secret_key, *args):
    """curl with SigV4 and the payload header RGW 16 needs; returns its result."""
    return subprocess.run(["curl", "-sS", "--aws-sigv4", "aws:amz:%s:s3" % REGION,
                           "--user", "%s:%s" % (access_key, secret_key),
                           "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + list(args),
                          capture_output=True, timeout=CURL_TIMEOUT)


def make_bucket(ceph, bucket):
    done = curl_s3(ceph.access_key, ceph.secret_key, "-f", "-X", "PUT",
                   "%s/%s" % (ceph.endpoint, bucket))
    if done.returncode != 0:
        raise AssertionError("cannot make bucket %s: %s" % (bucket, done.stderr.decode()))


def read_keys(path):
    """(access key, secret key) from a credentials file in the AWS format."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.partition("=")
            if sep:
                values[name.strip()] = value.strip()
    return values["aws_access_key_id"], values["aws_secret_access_key"]


def copy_object(endpoint, bucket, keys_file, key, dest):
    """Writes the object `key` to the file `dest` (mode 0600, its sfs digest
    as the xattr the POSIX backend uses) and returns True; removes `dest` and
    returns False when there is no such object."""
    access, secret = read_keys(keys_file)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    headers = dest + ".headers"
    url = "%s/%s/%s" % (endpoint, bucket, urllib.parse.quote(key))
    done = curl_s3(access, secret, "-D", headers, "-o", dest, "-w", "%{http_code}", url)
    status = done.stdout.decode().strip()
    try:
        with open(headers, encoding="latin-1") as f:
            lines = f.read().splitlines()
    finally:
        os.unlink(headers)
    if status == "404":
        os.unlink(dest)
        return False
    if done.returncode != 0 or status != "200":
        raise AssertionError("GET %s: %s %s" % (key, status, done.stderr.decode()))
    os.chmod(dest, 0o600)
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == DIGEST_META:
            os.setxattr(dest, DIGEST_XATTR, value.strip().encode())
    return True


def list_keys(endpoint, bucket, keys_file, prefix):
    """Every key under `prefix` (ListObjectsV2, no delimiter)."""
    access, secret = read_keys(keys_file)
    found, token = [], None
    for _ in range(MAX_PAGES):
        query = "list-type=2&prefix=" + urllib.parse.quote(prefix, safe="")
        if token:
            query += "&continuation-token=" + urllib.parse.quote(token, safe="")
        done = curl_s3(access, secret, "-f", "%s/%s?%s" % (endpoint, bucket, query))
        if done.returncode != 0:
            raise AssertionError("listing %s: %s" % (prefix, done.stderr.decode()))
        page = ElementTree.fromstring(done.stdout)
        found += [e.findtext(S3_NS + "Key") for e in page.findall(S3_NS + "Contents")]
        token = page.findtext(S3_NS + "NextContinuationToken")
        if page.findtext(S3_NS + "IsTruncated") != "true" or not token:
            return found
    raise AssertionError("listing %s: more than %d pages" % (prefix, MAX_PAGES))


def mirror_prefix(endpoint, bucket, keys_file, prefix, dest):
    """Makes `dest` a fresh copy of the tree of objects under `prefix` (which
    ends with '/'): folder markers become folders, files come with their
    digest xattr, kept partials' sidecars as .sfs-part-* files as on disk;
    dead properties are left out (on disk they are xattrs)."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for key in list_keys(endpoint, bucket, keys_file, prefix):
        relative = key[len(prefix):]
        path = os.path.join(dest, relative)
        if relative.endswith("/"):
            os.makedirs(path, exist_ok=True)
        elif relative and os.path.basename(relative) != PROPS_LEAF:
            copy_object(endpoint, bucket, keys_file, key, path)


def write_keys_file(path, access_key, secret_key):
    """A credentials file in the AWS format (what --s3-credentials reads)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (access_key, secret_key))
    os.chmod(path, 0o600)
    return path


class TestBucket:
    """A one-node Ceph (harness.ceph.CephCluster), a bucket on it and a
    credentials file for sfs-server: what a suite of S3 tests shares.

        bucket = TestBucket("sfs-it"); bucket.start()   # in setUpClass
        Server(**bucket.server_kwargs("prefix", part_size=8 << 20))  # files under prefix/
        bucket.close()                                   # in tearDownClass
    """

    def __init__(self, name):
        self.name = name
        self.ceph = None
        self.directory = None
        self.keys = None

    def start(self):
        self.ceph = CephCluster()
        try:
            self.ceph.start()
            self.directory = make_temp_dir("sfs-it-s3keys-")
            make_bucket(self.ceph, self.name)
            self.keys = write_keys_file(os.path.join(self.directory, "s3-keys"),
                                        self.ceph.access_key, self.ceph.secret_key)
        except BaseException:
            self.close()
            raise
        return self

    def server_kwargs(self, prefix, part_size=None, extra_args=()):
        """harness Server's arguments to keep its files under `prefix` in the bucket."""
        args = ["--s3-endpoint", self.ceph.endpoint, "--s3-credentials", self.keys]
        if part_size is not None:
            args += ["--s3-part-size", str(part_size)]
        return {"storage": "s3://%s/%s" % (self.name, prefix),
                "extra_args": args + list(extra_args)}

    def close(self):
        try:
            if self.ceph is not None:
                self.ceph.close()
        finally:
            remove_tree(self.directory)
            self.ceph = None
            self.directory = None
