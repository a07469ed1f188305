"""Content addresses of uploads. Up to one part (a single presigned POST) the address is the plain
SHA-256 of the bytes; above it, the tree hash: SHA-256 over the concatenated SHA-256 digests of
each part, at the part size the server fixes. The tree hash is exactly the composite checksum S3
keeps for a multipart upload created with ChecksumAlgorithm SHA256, so completion compares it with
S3's answer instead of reading the object back."""
from __future__ import annotations

import base64
import hashlib

from chalicelib.errors import InvalidInput
from chalicelib.services.uploads import presign


def tree_hash(part_digests: list[str]) -> str:
    """Hex SHA-256 over the raw bytes of the parts' hex digests, in part order."""
    return hashlib.sha256(b"".join(bytes.fromhex(d) for d in part_digests)).hexdigest()


def to_base64(hex_digest: str) -> str:
    """A hex digest as S3 writes checksums (base64 of the raw digest)."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def from_base64(value: str) -> str:
    """An S3 checksum (base64) as a hex digest."""
    return base64.b64decode(value).hex()


def declared_parts(size: int, sha256: str, part_size: int | None, part_digests: list[str] | None) -> list[str] | None:
    """Check a create request's address against its per-part digests; the digests (lower-case hex)
    of a multipart upload, None for a single POST.

    400 part_digests_required (details name the part size and count to hash at) when a multipart
    upload comes without digests at the server's part size; 400 checksum_mismatch when ``sha256`` is
    not the address those digests make."""
    server_part = presign.part_size_for(size)
    count = presign.part_count(size, server_part)
    details = {"partSize": server_part, "partCount": count}
    if part_size is not None and part_size != server_part:
        raise InvalidInput(f"Parts are {server_part} bytes here; hash each {server_part}-byte part.",
                           code="part_digests_required", details={**details, "declaredPartSize": part_size})
    digests = [d.lower() for d in part_digests] if part_digests is not None else None
    if not presign.is_multipart(size):
        if digests is not None and digests != [sha256]:
            raise InvalidInput("A single-part upload has one part digest: the SHA-256 of the bytes.",
                               code="checksum_mismatch", details=details)
        return None
    if digests is None or part_size is None or len(digests) != count:
        raise InvalidInput(f"An upload of {size} bytes goes in {count} parts of {server_part} bytes: send partSize "
                           "and partSha256 (each part's SHA-256), and the tree hash over them as sha256.",
                           code="part_digests_required", details=details)
    address = tree_hash(digests)
    if address != sha256:
        raise InvalidInput("sha256 is not the tree hash of partSha256 (SHA-256 over the parts' digests).",
                           code="checksum_mismatch", details={"declared": sha256, "treeHash": address, **details})
    return digests
