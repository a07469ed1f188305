"""Verification of an uploaded object before anything is recorded: the declared size, the declared
content address and the declared content type, checked against the object's first bytes. A single
POST is read back once (hashed while streaming, never the whole object in memory); a multipart
upload is not read back: S3's composite checksum over the parts' digests is its address. moto does not enforce presigned policies and a client
may lie, so this is the real guard; an object that fails is deleted by the caller."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.store import objects

SNIFF_BYTES = 8192
# Read size of the verification stream: big enough that per-chunk overhead vanishes next to hashing.
READ_CHUNK = 1024 * 1024

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
JSON_TYPES = ("application/json",)
GZIP_TYPES = ("application/gzip",)
TEXT_TYPES = ("text/plain", "text/csv", "text/html")

# File-name extension chosen by the server for each content type.
EXTENSIONS = {
    "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif",
    "application/pdf": "pdf", "application/json": "json", "text/csv": "csv", "text/plain": "txt",
    "text/html": "html", "application/gzip": "gz",
}

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/gzip": (b"\x1f\x8b",),
}
_BINARY_MAGIC = tuple(m for ms in _MAGIC.values() for m in ms) + (b"RIFF", b"PK\x03\x04", b"\x7fELF", b"MZ")


class VerificationFailed(Exception):
    """The object is not what was declared; ``code`` is size_mismatch, checksum_mismatch or type_mismatch."""

    def __init__(self, code: str, message: str, details: dict[str, object]) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


@dataclass(frozen=True)
class Verified:
    size: int
    sha256: str
    version_id: str | None = None  # the object version that was read: what records pin


def matches_type(content_type: str, head: bytes) -> bool:
    """Whether the first bytes of an object fit its declared content type."""
    if content_type in _MAGIC:
        return head.startswith(_MAGIC[content_type])
    if content_type == "image/webp":
        return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type in JSON_TYPES:
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        return text[:1] in (b"{", b"[")
    if content_type in TEXT_TYPES:
        return b"\x00" not in head and not head.startswith(_BINARY_MAGIC)
    return False


def verify(key: str, size: int, content_type: str, sha256: str | None = None) -> Verified:
    """Check the object at ``key``; raise VerificationFailed (or ObjectMissing) when it does not match.

    One pass over one GET: the answer's length settles a wrong size before any byte is read, then
    the same stream feeds the type sniff and the SHA-256 (hashlib releases the GIL on big chunks)."""
    with objects.open_read(key, READ_CHUNK) as stream:
        version_id = stream.version_id
        if stream.size != size:
            raise VerificationFailed("size_mismatch", f"The object has {stream.size} bytes, {size} were declared.",
                                     {"declared": size, "actual": stream.size})
        digest, head, total = hashlib.sha256(), b"", 0
        for chunk in stream:
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                if total == 0 and not _early_type_ok(content_type, head):
                    raise _type_failed(content_type)
            digest.update(chunk)
            total += len(chunk)
    if total != size:
        raise VerificationFailed("size_mismatch", f"The object has {total} bytes, {size} were declared.",
                                 {"declared": size, "actual": total})
    if not matches_type(content_type, head):
        raise _type_failed(content_type)
    actual = digest.hexdigest()
    if sha256 is not None and actual != sha256.lower():
        raise VerificationFailed("checksum_mismatch", "The object's SHA-256 differs from the declared one.",
                                 {"declared": sha256.lower(), "actual": actual})
    return Verified(size=total, sha256=actual, version_id=version_id)


def _early_type_ok(content_type: str, head: bytes) -> bool:
    # Fail before hashing gigabytes when the first chunk already shows the wrong type.
    return len(head) < 16 or matches_type(content_type, head)


def _type_failed(content_type: str) -> VerificationFailed:
    return VerificationFailed("type_mismatch", f"The object's content is not {content_type}.",
                              {"declared": content_type})


def verify_assembled(key: str, size: int, content_type: str, tree_hash: str) -> Verified:
    """Check a completed multipart upload without reading it back: its size and S3's composite
    checksum (SHA-256 over the parts' SHA-256, which S3 computed from the bytes it received) against
    the declared ones, then the type from the first bytes only (one ranged GET of SNIFF_BYTES, whatever
    the size). Raise VerificationFailed (or ObjectMissing) when it does not match."""
    from chalicelib.services.uploads import address

    attrs = objects.attributes(key)
    if attrs["size"] != size:
        raise VerificationFailed("size_mismatch", f"The object has {attrs['size']} bytes, {size} were declared.",
                                 {"declared": size, "actual": attrs["size"]})
    composite = attrs["checksumSha256"]
    actual = address.from_base64(composite) if composite else None
    if actual != tree_hash.lower():
        raise VerificationFailed("checksum_mismatch", "The parts' SHA-256 digests differ from the declared ones.",
                                 {"declared": tree_hash.lower(), "actual": actual})
    head = objects.read_start(key, SNIFF_BYTES, attrs["versionId"])
    if not matches_type(content_type, head):
        raise _type_failed(content_type)
    return Verified(size=size, sha256=actual, version_id=attrs["versionId"])
