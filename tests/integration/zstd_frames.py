"""zstd frames made and read by Debian's libzstd through ctypes, so that the
tests check sfs's compressed frames independently of sfs's own code."""
import ctypes
import ctypes.util

_zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
_zstd.ZSTD_compressBound.restype = ctypes.c_size_t
_zstd.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
_zstd.ZSTD_compress.restype = ctypes.c_size_t
_zstd.ZSTD_compress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                ctypes.c_size_t, ctypes.c_int]
_zstd.ZSTD_decompress.restype = ctypes.c_size_t
_zstd.ZSTD_decompress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                  ctypes.c_size_t]
_zstd.ZSTD_isError.restype = ctypes.c_uint
_zstd.ZSTD_isError.argtypes = [ctypes.c_size_t]


def zstd_compress(data, level=1):
    """One zstd frame holding data, with its content size (libzstd's default)."""
    out = ctypes.create_string_buffer(_zstd.ZSTD_compressBound(len(data)))
    n = _zstd.ZSTD_compress(out, len(out), data, len(data), level)
    assert not _zstd.ZSTD_isError(n)
    return out.raw[:n]


def zstd_decompress(payload, size):
    """The `size` bytes one zstd frame holds."""
    out = ctypes.create_string_buffer(size)
    n = _zstd.ZSTD_decompress(out, size, payload, len(payload))
    assert not _zstd.ZSTD_isError(n) and n == size, "bad zstd frame from the server"
    return out.raw[:n]
