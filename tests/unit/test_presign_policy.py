"""Presigned POST policies and part URLs: what they pin, and how long they live."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.services.uploads import presign
from chalicelib.services.uploads.verify import matches_type
from chalicelib.store import objects

MiB = 1024 * 1024


def decoded(form: dict) -> dict:
    return json.loads(base64.b64decode(form["fields"]["policy"]))


def test_post_policy_pins_exact_key_type_and_length(aws):
    form = objects.presigned_post("orgs/a/files/x.png", "image/png", 1234, 600)
    policy = decoded(form)
    assert {"bucket": "odavl-test-payloads"} in policy["conditions"]
    assert ["eq", "$key", "orgs/a/files/x.png"] in policy["conditions"]
    assert ["eq", "$Content-Type", "image/png"] in policy["conditions"]
    assert ["content-length-range", 1234, 1234] in policy["conditions"]
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in policy["conditions"])
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 590 <= (expires - datetime.now(timezone.utc)).total_seconds() <= 600


def test_expiry_never_passes_the_limits(aws):
    assert presign.expiry(None) == 900
    assert presign.expiry(5000) == 900
    assert presign.expiry(120) == 120
    assert presign.expiry(5000, presign.STORAGE_MAX_EXPIRY) == 3600


def test_part_urls_are_sigv4_and_short_lived(aws):
    key = "orgs/a/uploads/u1"
    upload_id = objects.create_multipart(key, "application/json")
    checksums = ["n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="]
    urls = presign.part_urls(key, upload_id, [1, 2], presign.expiry(), checksums)
    for n, part in enumerate(urls, start=1):
        query = parse_qs(urlparse(part["url"]).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["partNumber"] == [str(n)] and query["uploadId"] == [upload_id]
        assert int(query["X-Amz-Expires"][0]) <= 900
        assert query["X-Amz-SignedHeaders"] == ["host;x-amz-checksum-sha256"]  # S3 checks the part's bytes
        assert part["headers"] == {"x-amz-checksum-sha256": checksums[n - 1]}


@pytest.mark.parametrize("size, multipart, parts", [
    (1, False, 1), (8 * MiB, False, 1), (8 * MiB + 1, True, 2), (12 * 10 ** 6, True, 2), (5 * 1024 * MiB, True, 640)])
def test_post_up_to_the_part_size_multipart_above(aws, size, multipart, parts):
    assert presign.is_multipart(size) is multipart
    assert presign.part_count(size, presign.part_size_for(size)) == parts


def test_part_size_grows_to_stay_within_10000_parts(aws):
    size = 200 * 1024 * MiB
    part = presign.part_size_for(size)
    assert part >= 5 * MiB and presign.part_count(size, part) <= 10_000


@pytest.mark.parametrize("content_type, head, ok", [
    ("image/png", b"\x89PNG\r\n\x1a\nrest", True),
    ("image/png", b"\xff\xd8\xff\xe0", False),
    ("image/jpeg", b"\xff\xd8\xff\xe0JFIF", True),
    ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
    ("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", False),
    ("image/gif", b"GIF89a...", True),
    ("application/pdf", b"%PDF-1.7", True),
    ("application/pdf", b"<html>", False),
    ("application/gzip", b"\x1f\x8b\x08", True),
    ("application/json", b"\xef\xbb\xbf  {\"a\": 1}", True),
    ("application/json", b"MZ\x90\x00", False),
    ("text/plain", b"hello", True),
    ("text/csv", b"a,b\x00c", False),
    ("text/plain", b"\x7fELF\x02", False),
])
def test_magic_bytes(content_type, head, ok):
    assert matches_type(content_type, head) is ok
