"""File-name sanitizing, and that no name, however hostile, reaches an S3 key."""
from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.services import filenames

HOSTILE_PIECES = [
    "../", "..\\", "/", "\\", "\x00", "\x1b[31m", "\r\n", "\u202e", "\u202d", "\u2066", "\u2069", "\u200f",
    "\ufeff", "\u200b", ".exe", ".png", ".pdf.exe", "..", "...", " ", "CON", "nul", "%2e%2e%2f", "~", "$(rm -rf)",
    "`id`", "<script>", '"', "'", "|", ":", "*", "?", "\t", "\u0085", "\u2028", "名前", "😀", "é", "e\u0301",
]


def hostile_names(count: int, seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    names = []
    for _ in range(count):
        parts = [rng.choice(HOSTILE_PIECES) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.5:
            parts.append(rng.choice(["a", "report", "shot"]) + rng.choice([".png", ".pdf.exe", ".tar.gz", ""]))
        if rng.random() < 0.1:
            parts.append("x" * rng.randint(200, 400))
        names.append("".join(parts))
    return names


def assert_safe(name: str) -> None:
    assert 1 <= len(name) <= 255
    assert "/" not in name and "\\" not in name and ".." not in name
    compound = next((c for c in filenames.COMPOUND_EXTENSIONS if name.lower().endswith("." + c)), None)
    stem = name[: -len(compound) - 1] if compound else name
    assert stem.count(".") <= (0 if compound else 1)  # one extension (report.tar.gz's is one), no disguise
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))
    for ch in name:
        category = unicodedata.category(ch)
        assert not category.startswith("C"), repr(ch)
        assert category not in {"Zl", "Zp"}, repr(ch)
        assert ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert name.split(".")[0].lower() not in {"con", "nul", "prn", "aux"}


@pytest.mark.parametrize("raw, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\shot.png", "shot.png"),
    ("invoice.pdf.exe", "invoice_pdf.exe"),
    ("evil\u202egnp.exe", "evilgnp.exe"),
    ("a\x00b.png", "ab.png"),
    ("..", "file"),
    ("", "file"),
    ("CON.txt", "_CON.txt"),
    ("  spaced   name .png ", "spaced name.png"),
])
def test_examples(raw: str, expected: str):
    assert filenames.sanitize(raw) == expected


def test_seeded_hostile_names_are_all_safe():
    for raw in hostile_names(1000):
        assert_safe(filenames.sanitize(raw))


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=600))
def test_any_text_is_safe(raw: str):
    assert_safe(filenames.sanitize(raw))


def test_long_names_keep_their_extension():
    name = filenames.sanitize("a" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


def test_hostile_names_never_shape_a_storage_key(aws):
    from chalicelib.services import files, orgs

    orgs.create_org("acme", "enterprise")
    pattern = re.compile(r"^orgs/acme/files/[0-9a-f-]+(\.[a-z0-9]{1,8})?$")
    types = ["image/png", "image/jpeg", "application/pdf", "application/json", "text/csv", "text/plain",
             "application/gzip", "image/webp"]
    seen = set()
    for i, raw in enumerate(hostile_names(1000, seed=99)):
        answer = files.create_upload_url("acme", "ENTERPRISE", {
            "fileName": raw, "contentType": types[i % len(types)], "size": 10})
        key = answer["fields"]["key"]
        assert pattern.match(key), key
        assert key not in seen
        seen.add(key)
        assert_safe(answer["fileName"])


def test_a_compound_extension_is_one_extension_but_a_disguise_is_not() -> None:
    from chalicelib.services.filenames import sanitize

    assert sanitize("report.tar.gz") == "report.tar.gz"
    assert sanitize("logs.v2.tar.xz") == "logs_v2.tar.xz"
    assert sanitize("invoice.pdf.exe") == "invoice_pdf.exe"
    assert sanitize(".tar.gz") != ".tar.gz"
