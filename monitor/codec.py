"""How raw bodies are compressed in the ``blobs`` table (pure: bytes in, bytes out).

Why LZ4 for new rows: the crawl child compresses every fetched page on the core that also
runs the downloads, and the extraction workers decompress it again. On ~120 KB policy pages
LZ4 takes ~0.13 ms to compress and ~0.04 ms to decompress against zlib level 1's ~0.7 ms
and ~0.27 ms, for rows ~20% larger (34% of the raw size instead of 28%). Rows written by
earlier versions stay zlib and are read as such: the codec is stored with each row.
"""

from __future__ import annotations

import zlib

#: The codec of new rows.
DEFAULT = "lz4"


def compress(body: bytes) -> tuple[str, bytes]:
    """``(codec, data)`` for a new blob row."""
    import lz4.frame

    return DEFAULT, lz4.frame.compress(body)


def decompress(codec: str | None, data: bytes) -> bytes:
    """The raw body of a blob row written with ``codec`` (None: stored as is)."""
    if codec == "lz4":
        import lz4.frame

        return lz4.frame.decompress(data)
    if codec == "zlib":
        return zlib.decompress(data)
    if codec in (None, "", "none"):
        return data
    raise ValueError(f"unknown blob compression {codec!r}; upgrade policywatch to read it")
