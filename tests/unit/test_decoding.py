"""Strict base64, the bounded gunzip (size and ratio caps, at most cap + one chunk held) and JSON."""
from __future__ import annotations

import base64
import gzip
import zlib

import pytest

from chalicelib.errors import InvalidInput, TooLarge
from chalicelib.services import decoding

MB = 1024 * 1024


def test_base64_round_trip_and_line_breaks():
    raw = bytes(range(256)) * 10
    encoded = base64.b64encode(raw).decode()
    assert decoding.b64decode(encoded) == raw
    wrapped = "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
    assert decoding.b64decode(wrapped) == raw


@pytest.mark.parametrize("bad", ["abc", "a*bc", "ééé=", "QU=JD"])
def test_invalid_base64(bad):
    with pytest.raises(InvalidInput) as err:
        decoding.b64decode(bad)
    assert err.value.code == "invalid_base64"


def test_gunzip_round_trip():
    raw = b'{"diagnostics": {}}' * 1000
    assert decoding.gunzip_bounded(gzip.compress(raw), 64 * MB, 200) == raw


def test_bomb_is_refused_after_reading_at_most_cap_plus_a_chunk(monkeypatch):
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MB
    bomb = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()  # < 5 MB expanding to 1 GiB
    assert len(bomb) < 5 * MB
    produced: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, *a, **k):
            self._d = real(*a, **k)

        def decompress(self, data, max_length=0):
            out = self._d.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self._d, name)

    monkeypatch.setattr(decoding.zlib, "decompressobj", Spy)
    with pytest.raises(TooLarge) as err:
        decoding.gunzip_bounded(bomb, 64 * MB, 10_000)
    assert err.value.code == "decompression_limit"
    assert sum(produced) <= 64 * MB + decoding.CHUNK
    assert max(produced) <= decoding.CHUNK


def test_ratio_cap_applies_above_the_floor():
    raw = b"a" * (3 * MB)
    packed = gzip.compress(raw, 9)
    assert len(raw) > len(packed) * 200
    with pytest.raises(TooLarge):
        decoding.gunzip_bounded(packed, 64 * MB, 200)
    assert decoding.gunzip_bounded(packed, 64 * MB, 10_000) == raw
    small = b"b" * (decoding.RATIO_FLOOR // 2)  # very repetitive but tiny: allowed
    assert decoding.gunzip_bounded(gzip.compress(small, 9), 64 * MB, 2) == small


@pytest.mark.parametrize("bad", [b"not gzip", gzip.compress(b"x" * 1000)[:-10], gzip.compress(b"{}") + b"garbage", b""], ids=["not-gzip", "truncated", "trailing-garbage", "empty"])
def test_invalid_gzip(bad):
    with pytest.raises(InvalidInput) as err:
        decoding.gunzip_bounded(bad, MB, 200)
    assert err.value.code == "invalid_gzip"


def test_parse_json():
    assert decoding.parse_json(b'{"a": 1}') == {"a": 1}
    for bad in (b"{", b"\xff\xfe", b""):
        with pytest.raises(InvalidInput) as err:
            decoding.parse_json(bad)
        assert err.value.code == "invalid_json"


def test_past_max_bytes_within_the_ratio_cap_is_the_callers_error_and_a_bomb_stays_a_bomb():
    class Over(TooLarge):
        pass

    numbered = ",".join(f'{{"message":"m{i}","line":{i}}}' for i in range(200_000)).encode()  # ~10:1
    assert len(numbered) > 4 * MB
    with pytest.raises(Over):
        decoding.gunzip_bounded(gzip.compress(numbered), 2 * MB, 200, over_max_bytes=lambda: Over("too large"))
    bomb = gzip.compress(b" " * (40 * MB), 9)  # ~1000:1, its ratio limit far above max_bytes
    assert len(bomb) * 200 > 2 * MB
    with pytest.raises(TooLarge) as refused:
        decoding.gunzip_bounded(bomb, 2 * MB, 200, over_max_bytes=lambda: Over("too large"))
    assert not isinstance(refused.value, Over) and refused.value.code == "decompression_limit"
    assert decoding.gunzip_bounded(gzip.compress(numbered[:MB]), 2 * MB, 200, over_max_bytes=lambda: Over("x")) == numbered[:MB]
