"""Blob compression: new rows in LZ4, older zlib rows still readable, unknown codecs refused."""

from __future__ import annotations

import zlib

import pytest

from monitor import codec


def test_new_rows_round_trip_and_are_smaller():
    body = ("<p>We may use your content to train AI models.</p>\n" * 2000).encode()
    name, data = codec.compress(body)
    assert name == codec.DEFAULT == "lz4"
    assert len(data) < len(body) // 5
    assert codec.decompress(name, data) == body


def test_rows_written_by_earlier_versions_are_read():
    body = b"<html>" + bytes(range(256)) * 50 + b"</html>"
    assert codec.decompress("zlib", zlib.compress(body, 1)) == body
    assert codec.decompress(None, body) == body


def test_an_unknown_codec_is_an_error_that_says_what_to_do():
    with pytest.raises(ValueError, match="unknown blob compression 'zstd'.*upgrade"):
        codec.decompress("zstd", b"x")
