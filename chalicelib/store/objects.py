"""S3 objects of the payload bucket: presigned POST and multipart for direct uploads, streamed
reads for verification, copies into content-addressed keys, presigned downloads, cleanup.

Every presigned URL is SigV4 (the client in ``clients.s3()``), which presigned POST policies need."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from chalicelib.store import clients

READ_CHUNK = 1024 * 1024


class ObjectMissing(Exception):
    """The object (or multipart upload) does not exist."""


class PartsRejected(Exception):
    """S3 refused the part list of a completion (wrong ETag, order, or a part too small)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _bucket() -> str:
    return get_settings().bucket


def _missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def presigned_post(key: str, content_type: str, size: int, expires_in: int,
                   metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """A POST form that only accepts exactly ``size`` bytes of ``content_type`` at exactly ``key``."""
    fields: dict[str, str] = {"Content-Type": content_type}
    conditions: list[Any] = [
        {"bucket": _bucket()},
        ["eq", "$key", key],
        ["eq", "$Content-Type", content_type],
        ["content-length-range", size, size],
    ]
    for name, value in (metadata or {}).items():
        fields[f"x-amz-meta-{name}"] = value
        conditions.append({f"x-amz-meta-{name}": value})
    return clients.s3().generate_presigned_post(
        Bucket=_bucket(), Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )


def create_multipart(key: str, content_type: str) -> str:
    """Start a multipart upload whose parts carry SHA-256 checksums (S3 checks each part as it
    arrives and keeps the composite: SHA-256 over the parts' digests); returns its S3 upload id."""
    out = clients.s3().create_multipart_upload(Bucket=_bucket(), Key=key, ContentType=content_type,
                                               ChecksumAlgorithm="SHA256")
    return str(out["UploadId"])


CHECKSUM_HEADER = "x-amz-checksum-sha256"


def presign_part(key: str, upload_id: str, part_number: int, expires_in: int, checksum_sha256: str) -> str:
    """A PUT URL for one part of a multipart upload. The URL signs the part's ``x-amz-checksum-sha256``
    header (``checksum_sha256``: base64 of the part's SHA-256): the PUT must send exactly that header,
    and S3 refuses bytes that do not hash to it."""
    return str(clients.s3().generate_presigned_url(
        "upload_part",
        Params={"Bucket": _bucket(), "Key": key, "UploadId": upload_id, "PartNumber": part_number,
                "ChecksumSHA256": checksum_sha256},
        ExpiresIn=expires_in,
    ))


def list_parts(key: str, upload_id: str) -> list[dict[str, Any]]:
    """Parts S3 already holds: ``[{partNumber, etag, size}]`` in part order. ObjectMissing when aborted."""
    s3, parts, marker = clients.s3(), [], 0
    while True:
        try:
            page = s3.list_parts(Bucket=_bucket(), Key=key, UploadId=upload_id, PartNumberMarker=marker)
        except ClientError as exc:
            if _missing(exc):
                raise ObjectMissing(key) from exc
            raise
        for part in page.get("Parts", []):
            parts.append({"partNumber": int(part["PartNumber"]), "etag": str(part["ETag"]), "size": int(part["Size"])})
        if not page.get("IsTruncated"):
            return parts
        marker = int(page["NextPartNumberMarker"])


def complete_multipart(key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    """Assemble the parts (``[{partNumber, etag, checksumSha256}]``, the checksum base64 as the part
    was created with). ObjectMissing when the upload is gone."""
    listed = [{"PartNumber": p["partNumber"], "ETag": p["etag"], "ChecksumSHA256": p["checksumSha256"]}
              for p in parts]
    try:
        clients.s3().complete_multipart_upload(
            Bucket=_bucket(), Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed},
        )
    except ClientError as exc:
        if _missing(exc):
            raise ObjectMissing(key) from exc
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML", "BadDigest", "InvalidRequest"}:
            raise PartsRejected(code, str(exc.response.get("Error", {}).get("Message", code))) from exc
        raise


def abort_multipart(key: str, upload_id: str) -> None:
    """Abort a multipart upload (an already-gone one is fine)."""
    try:
        clients.s3().abort_multipart_upload(Bucket=_bucket(), Key=key, UploadId=upload_id)
    except ClientError as exc:
        if not _missing(exc):
            raise


def list_multipart_uploads(prefix: str) -> Iterator[dict[str, Any]]:
    """Every open multipart upload under ``prefix``: ``{key, uploadId, initiated}``."""
    s3 = clients.s3()
    kwargs: dict[str, Any] = {"Bucket": _bucket(), "Prefix": prefix}
    while True:
        page = s3.list_multipart_uploads(**kwargs)
        for upload in page.get("Uploads", []):
            yield {"key": upload["Key"], "uploadId": upload["UploadId"], "initiated": upload["Initiated"]}
        if not page.get("IsTruncated"):
            return
        kwargs["KeyMarker"] = page["NextKeyMarker"]
        kwargs["UploadIdMarker"] = page["NextUploadIdMarker"]


def head(key: str) -> dict[str, Any] | None:
    """``{size, contentType, etag, lastModified}`` or None when absent."""
    try:
        out = clients.s3().head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    return {
        "size": int(out["ContentLength"]),
        "contentType": out.get("ContentType", ""),
        "etag": out.get("ETag", ""),
        "lastModified": out.get("LastModified"),
        "versionId": _version(out),
    }


def attributes(key: str) -> dict[str, Any]:
    """What S3 knows of the object without reading it: ``{size, checksumSha256, checksumType,
    versionId}`` (the checksum base64 as S3 keeps it: of the bytes for a single PUT, the composite over
    the parts' digests for a multipart upload; None when the object has none). ObjectMissing when absent."""
    try:
        out = clients.s3().get_object_attributes(Bucket=_bucket(), Key=key,
                                                 ObjectAttributes=["Checksum", "ObjectSize", "ObjectParts"])
    except ClientError as exc:
        if _missing(exc):
            raise ObjectMissing(key) from exc
        raise
    checksum = out.get("Checksum") or {}
    value = checksum.get("ChecksumSHA256")
    return {
        "size": int(out["ObjectSize"]),
        "checksumSha256": str(value).split("-", 1)[0] if value else None,  # real S3 may append "-<parts>"
        "checksumType": checksum.get("ChecksumType"),
        "partsCount": (out.get("ObjectParts") or {}).get("TotalPartsCount"),
        "versionId": _version(out),
    }


def read_start(key: str, length: int, version_id: str | None = None) -> bytes:
    """The first ``length`` bytes of the object (one ranged GET; fewer when it is shorter)."""
    out = _get(key, version_id, Range=f"bytes=0-{max(0, length - 1)}")
    with out["Body"] as body:
        return bytes(body.read(length))


def _get(key: str, version_id: str | None, **extra: Any) -> dict[str, Any]:
    """One GetObject of ``key`` (of ``version_id`` when given); ObjectMissing when it or the version is absent."""
    kwargs: dict[str, Any] = {"Bucket": _bucket(), "Key": key, **extra}
    if version_id:
        kwargs["VersionId"] = version_id
    try:
        return dict(clients.s3().get_object(**kwargs))
    except ClientError as exc:
        if _missing(exc) or exc.response["Error"]["Code"] in ("NoSuchVersion", "InvalidArgument"):
            raise ObjectMissing(key) from exc
        raise


def _version(out: dict[str, Any]) -> str | None:
    """The answer's VersionId (None on an unversioned bucket, where S3 says "null")."""
    version = out.get("VersionId")
    return None if version in (None, "", "null") else str(version)


def iter_chunks(key: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
    """The object's bytes, streamed in chunks (never the whole object in memory)."""
    with open_read(key, chunk_size) as stream:
        yield from stream


class ObjectStream:
    """An object being read: its ``size`` (from the GET answer's headers, known before any byte is
    read) and its bytes in chunks when iterated. A context manager: leaving it releases the connection,
    read to the end or not."""

    def __init__(self, size: int, body: Any, chunk_size: int, version_id: str | None = None) -> None:
        self.size, self._body, self._chunk_size = size, body, chunk_size
        self.version_id = version_id  # the version these bytes are: what a record pins

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body.iter_chunks(self._chunk_size))

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> "ObjectStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_read(key: str, chunk_size: int = READ_CHUNK, version_id: str | None = None) -> ObjectStream:
    """One GET of the object (size and bytes in one request), of ``version_id`` when given (the
    verified bytes, whatever was sent to the key since). ObjectMissing when absent."""
    out = _get(key, version_id)
    return ObjectStream(int(out["ContentLength"]), out["Body"], chunk_size, _version(out))


def delete(key: str) -> None:
    """Delete an object for good: every version stored at the key (the bucket is versioned so that a
    record can pin the bytes it verified) and any delete marker. Absent is fine."""
    s3, bucket = clients.s3(), _bucket()
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
              for group in ("Versions", "DeleteMarkers") for v in listed.get(group, []) if v["Key"] == key]
    if not doomed:
        s3.delete_object(Bucket=bucket, Key=key)  # an unversioned bucket, or nothing there
        return
    for start in range(0, len(doomed), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})


def list_versions(prefix: str, after: dict[str, str] | None, limit: int) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """One page of the object versions (and delete markers) under ``prefix``, after the cursor
    ``after``: ([{key, versionId, size, lastModified, marker}], the next cursor or None at the end)."""
    kwargs: dict[str, Any] = {"Bucket": _bucket(), "Prefix": prefix, "MaxKeys": max(1, min(limit, 1000))}
    if after:
        # Keys only: the cursor's own versions may be deleted by now, and a version marker must exist.
        # A key whose versions straddle two pages has the rest looked at on the next round.
        kwargs["KeyMarker"] = after["key"]
    page = clients.s3().list_object_versions(**kwargs)
    found = [{"key": v["Key"], "versionId": v.get("VersionId"), "size": int(v.get("Size", 0)),
              "lastModified": v.get("LastModified"), "marker": group == "DeleteMarkers"}
             for group in ("Versions", "DeleteMarkers") for v in page.get(group, [])]
    found.sort(key=lambda v: (v["key"], v["lastModified"] is None, v["lastModified"]))
    if not page.get("IsTruncated"):
        return found, None
    return found, {"key": page.get("NextKeyMarker") or (found[-1]["key"] if found else "")}


def delete_version(key: str, version_id: str | None) -> None:
    """Delete one version of an object for good (the current object on an unversioned bucket)."""
    kwargs: dict[str, Any] = {"Bucket": _bucket(), "Key": key}
    if version_id and version_id != "null":
        kwargs["VersionId"] = version_id
    clients.s3().delete_object(**kwargs)


def presigned_get(key: str, expires_in: int, file_name: str | None = None,
                  content_type: str | None = None, version_id: str | None = None) -> str:
    """A GET URL (of ``version_id`` when given); with ``file_name`` the download carries
    Content-Disposition: attachment."""
    params: dict[str, Any] = {"Bucket": _bucket(), "Key": key}
    if version_id:
        params["VersionId"] = version_id
    if file_name:
        params["ResponseContentDisposition"] = content_disposition(file_name)
    if content_type:
        params["ResponseContentType"] = content_type
    return str(clients.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in file_name) or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def initiated_before(upload: dict[str, Any], cutoff: datetime) -> bool:
    """Whether a listed multipart upload started before ``cutoff``."""
    initiated = upload["initiated"]
    return bool(initiated < cutoff)
