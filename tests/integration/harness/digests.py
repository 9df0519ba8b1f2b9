"""The XXH128 digest sfs keeps end to end, and the replies that carry it."""

import ctypes
import ctypes.util
import os


class _Xxh128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


_libxxhash = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
_libxxhash.XXH3_128bits.restype = _Xxh128
_libxxhash.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libxxhash.XXH3_createState.restype = ctypes.c_void_p
_libxxhash.XXH3_freeState.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_reset.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
_libxxhash.XXH3_128bits_digest.argtypes = [ctypes.c_void_p]
_libxxhash.XXH3_128bits_digest.restype = _Xxh128

DIGEST_NAME = "XXH128"  # the digest sfs keeps end to end (src/crypto/digest.h)
DIGEST_XATTR = "user.sfs.xxh128"
DIGEST_HEX_LENGTH = 32


def digest_hex(data):
    """sfs's digest of `data` (XXH3-128, canonical hex as xxh128sum prints it),
    computed by Debian's libxxhash, independently of sfs's own code."""
    return _canonical(_libxxhash.XXH3_128bits(bytes(data), len(data)))


def _canonical(h):
    return "%016x%016x" % (h.high64, h.low64)


def digest_of_pieces(pieces):
    """digest_hex of the concatenation of `pieces` (an iterable of bytes),
    without holding it all in memory."""
    state = _libxxhash.XXH3_createState()
    try:
        _libxxhash.XXH3_128bits_reset(state)
        for piece in pieces:
            _libxxhash.XXH3_128bits_update(state, bytes(piece), len(piece))
        return _canonical(_libxxhash.XXH3_128bits_digest(state))
    finally:
        _libxxhash.XXH3_freeState(state)


def ok_put(data):
    """The server's final reply to a successful PUT of `data`."""
    return "OK %d %s" % (len(data), digest_hex(data))


NO_OFFER = "OK 0 -"  # the server's first reply to a PUT when it holds nothing to resume


def ok_get(data, stored=True, start=0):
    """The server's reply to a GET of a file holding `data` (stored: it has a digest)."""
    return "OK %d %s %d" % (len(data), digest_hex(data) if stored else "-", start)


def trailer(data):
    """The digest trailer line of a transfer of `data`."""
    return DIGEST_NAME + " " + digest_hex(data)


def stored_digest(path):
    """The digest the server keeps in the DIGEST_XATTR of path, or None."""
    try:
        return os.getxattr(path, DIGEST_XATTR).decode()
    except OSError:
        return None
