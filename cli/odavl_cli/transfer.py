"""Moving one workspace file to ODAVL Cloud.

JSON results are gzip'd and sent inline (``POST /v1/upload/{product}``) when they fit the inline
door; bigger ones and every binary file go through ``/v1/uploads``: the server answers ``exists``
for a sha256 it already has (0 bytes sent), a presigned POST, or presigned multipart part URLs that
are sent in parallel with a progress bar. Multipart state is kept in ``$ODAVL_HOME/uploads/`` so an
interrupted transfer resumes with only the parts S3 does not have yet."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from odavl_cli.client import ApiClient, CliError, error_from_response
from odavl_cli.config import home, write_private_json

INLINE_MAX_BYTES = 5 * 1024 * 1024  # the most the inline door takes on the wire (before base64)
INLINE_JSON_MAX_BYTES = 8 * 1024 * 1024  # and decompressed (the server's inline_decompressed_max_bytes)
PART_WORKERS = 10  # parts in flight at once (as boto3's s3transfer: 10 threads)
OPERATION_HEADER = "Odavl-Operation-Id"
SHOW_POST_PROGRESS_BYTES = 1024 * 1024  # a single POST this large says what it is doing
PART_SIZE = 8 * 1024 * 1024  # the server's default part size; a 400 part_digests_required names another
HASH_WORKERS = max(1, min(4, os.cpu_count() or 1))  # hashlib releases the GIL: parts hash in parallel


@dataclass
class Upload:
    """What to send: one file plus how the server should classify it."""

    product: str
    type: str
    path: Path
    project_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    binary: bool = False
    content_type: str = "application/json"
    idempotency_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Shared by every file of one `odavl <product> upload`: the server counts them as one API call.
    operation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Where the bytes are read from when not ``path``: the queue's snapshot of the file as it was queued.
    data_path: Path | None = None
    build: dict[str, Any] | None = None  # commit, branch, ancestor ... (odavl_cli.build)
    line_hashes: dict[str, dict[str, str]] | None = None  # insight: the flagged lines' text hashes

    def to_queue(self) -> dict[str, Any]:
        return {"product": self.product, "type": self.type, "filePath": str(self.path), "projectId": self.project_id,
                "metadata": self.metadata, "binary": self.binary, "contentType": self.content_type,
                "idempotencyKey": self.idempotency_key, "operationId": self.operation_id, "build": self.build,
                "lineHashes": self.line_hashes}

    @classmethod
    def from_queue(cls, item: dict[str, Any]) -> "Upload":
        return cls(product=item["product"], type=item["type"], path=Path(item["filePath"]),
                   project_id=item.get("projectId") or "default", metadata=item.get("metadata") or {},
                   binary=bool(item.get("binary")), content_type=item.get("contentType") or "application/json",
                   idempotency_key=item.get("idempotencyKey") or str(uuid.uuid4()),
                   operation_id=item.get("operationId") or str(uuid.uuid4()),
                   data_path=Path(item["snapshotPath"]) if item.get("snapshotPath") else None,
                   build=item.get("build"), line_hashes=item.get("lineHashes"))


@dataclass
class Result:
    """The outcome the CLI prints: ids, dashboard URL, how it went and how many bytes went over the wire."""

    upload: Upload
    door: str  # inline | post | multipart | exists
    bytes_sent: int
    reply: dict[str, Any]

    @property
    def url(self) -> str | None:
        return self.reply.get("url") or (self.reply.get("result") or {}).get("url")

    def to_dict(self) -> dict[str, Any]:
        r = self.reply
        result = r.get("result") if isinstance(r.get("result"), dict) else {}
        return {
            "product": self.upload.product, "type": self.upload.type, "file": str(self.upload.path),
            "door": self.door, "bytesSent": self.bytes_sent, "url": self.url,
            "uploadId": r.get("uploadId") or result.get("uploadId"),
            "runId": r.get("runId") or result.get("runId"), "testId": r.get("testId") or result.get("testId"),
            "jobId": r.get("jobId"), "fileId": r.get("fileId"), "status": r.get("status") or "uploaded",
            "gate": r.get("gate") or result.get("gate"),
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror or exc}") from None


def _sha256(view: memoryview) -> bytes:
    return hashlib.sha256(view).digest()


@dataclass
class Digests:
    """The SHA-256 of each ``part_size`` part of some bytes, and the content address they make."""

    part_size: int
    parts: list[bytes]

    @property
    def address(self) -> str:
        """The plain SHA-256 for one part, the tree hash (SHA-256 over the parts' digests) above."""
        if len(self.parts) == 1:
            return self.parts[0].hex()
        return hashlib.sha256(b"".join(self.parts)).hexdigest()

    def checksum(self, number: int) -> str:
        """Part ``number``'s digest as S3 takes it (base64)."""
        return base64.b64encode(self.parts[number - 1]).decode("ascii")

    def declaration(self) -> dict[str, Any]:
        """The create request's fields naming the bytes."""
        if len(self.parts) == 1:
            return {"sha256": self.address}
        return {"sha256": self.address, "partSize": self.part_size, "partSha256": [d.hex() for d in self.parts]}

    @classmethod
    def of(cls, data: bytes, part_size: int = PART_SIZE, pool: ThreadPoolExecutor | None = None) -> "Digests":
        """Hash ``data`` part by part, in parallel (no copy: the parts are views of ``data``)."""
        view = memoryview(data)
        chunks = [view[i:i + part_size] for i in range(0, max(len(data), 1), part_size)]
        if pool is None or len(chunks) == 1:
            return cls(part_size, [_sha256(c) for c in chunks])
        return cls(part_size, list(pool.map(_sha256, chunks)))


def read_hashed(path: Path, part_size: int = PART_SIZE) -> tuple[bytes, Digests]:
    """The file's bytes and their part digests in one pass: each part is hashed (on another core)
    while the next one is read."""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            buffer = bytearray(size)
            view = memoryview(buffer)
            with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
                futures, offset = [], 0
                while offset < size:
                    got = fh.readinto(view[offset:offset + part_size])
                    if not got:
                        break
                    futures.append(pool.submit(_sha256, view[offset:offset + got]))
                    offset += got
                digests = [f.result() for f in futures]
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if offset != size or any(len(d) != 32 for d in digests):  # the file changed while being read
        return read_hashed(path, part_size)
    data = bytes(buffer) if size <= part_size else buffer  # one part goes as a form: bytes; parts are sliced
    return data, Digests(part_size, digests or [_sha256(memoryview(b""))])


class Transfer:
    """Sends uploads through one ApiClient. ``console`` shows progress for large transfers."""

    def __init__(self, client: ApiClient, console: Console | None = None, *, wait_jobs: bool = True,
                 job_timeout: float = 300.0, show_progress: bool = True) -> None:
        self.client = client
        self.console = console or Console(stderr=True)
        self.wait_jobs = wait_jobs
        self.job_timeout = job_timeout
        self.show_progress = show_progress

    # -- entry point -------------------------------------------------------------------------------
    def send(self, upload: Upload) -> Result:
        self.client.http.headers[OPERATION_HEADER] = upload.operation_id
        if upload.binary:
            data, digests = read_hashed(upload.data_path or upload.path)
            return self.send_large(upload, data, upload.content_type, digests)
        data = read_file(upload.data_path or upload.path)
        compressed = gzip.compress(data, compresslevel=6, mtime=0)
        if len(compressed) > INLINE_MAX_BYTES or len(data) > INLINE_JSON_MAX_BYTES:
            return self.send_large(upload, compressed, "application/gzip")
        try:
            return self.send_inline(upload, data, base64.b64encode(compressed).decode("ascii"))
        except CliError as exc:
            if exc.status == 413 and exc.code == "payload_too_large":
                return self.send_large(upload, compressed, "application/gzip")
            raise

    # -- inline door -------------------------------------------------------------------------------
    def send_inline(self, upload: Upload, raw: bytes, encoded: str) -> Result:
        body = {"type": upload.type, "projectId": upload.project_id, "metadata": upload.metadata,
                "data": encoded, "compressed": True, "sha256": hashlib.sha256(raw).hexdigest()}
        if upload.build:
            body["build"] = upload.build
        if upload.line_hashes:
            body["lineHashes"] = upload.line_hashes
        reply = self.client.post(f"/v1/upload/{upload.product}", json=body,
                                 headers={"Idempotency-Key": upload.idempotency_key})
        return Result(upload, "inline", len(encoded), reply or {})

    # -- large / binary door -----------------------------------------------------------------------
    def _state_path(self, sha: str) -> Path:
        return home() / "uploads" / f"{sha}.json"

    def send_large(self, upload: Upload, data: bytes | bytearray, content_type: str,
                   digests: Digests | None = None) -> Result:
        if digests is None:
            with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
                digests = Digests.of(data, PART_SIZE, pool)
        state_path = self._state_path(digests.address)
        session = self._resume(state_path)
        if session is None:
            session, digests = self._create(upload, data, content_type, digests)
            state_path = self._state_path(digests.address)
        if str(session.get("status", "")).lower() == "exists":
            state_path.unlink(missing_ok=True)
            return Result(upload, "exists", 0, session)
        method = str(session.get("method") or ("MULTIPART" if session.get("parts") else "POST")).upper()
        upload_id = session.get("uploadId") or session.get("id")
        if not upload_id:
            raise CliError("The server's upload session has no uploadId.")
        if method == "MULTIPART":
            write_private_json(state_path, {**session, "sha256": digests.address})
            parts, sent = self._send_parts(upload, upload_id, session, data)
            complete_body: dict[str, Any] = {"parts": parts}
            door = "multipart"
        else:
            sent = self._send_post(upload, session, data, content_type)
            complete_body = {}
            door = "post"
        reply = self.client.post(f"/v1/uploads/{upload_id}/complete", json=complete_body) or {}
        state_path.unlink(missing_ok=True)
        if reply.get("jobId") and self.wait_jobs:
            job = self._wait_job(reply["jobId"])
            if job.get("status") != "succeeded":
                err = job.get("error") or {}
                raise CliError(f"Ingest job {reply['jobId']} {job.get('status')}: {err.get('message', 'no detail')}"
                               f" ({err.get('code', job.get('status'))})")
            reply = {**reply, **(job.get("result") or {}), "status": "ingested"}
        return Result(upload, door, sent, reply)

    def _create(self, upload: Upload, data: bytes | bytearray, content_type: str, digests: Digests
                ) -> tuple[dict[str, Any], Digests]:
        """``POST /v1/uploads`` naming the bytes by their address; when the server's part size is not
        the one hashed at (400 part_digests_required naming it), hash again at that size and retry once."""
        body: dict[str, Any] = {
            "product": upload.product, "type": upload.type, "fileName": upload.path.name,
            "contentType": content_type, "size": len(data), "projectId": upload.project_id,
            "metadata": upload.metadata,
        }
        if upload.metadata.get("testRunId"):
            body["testRunId"] = upload.metadata["testRunId"]
        if upload.build and not upload.binary:
            body["build"] = upload.build
        headers = {"Idempotency-Key": upload.idempotency_key}
        try:
            return self.client.post("/v1/uploads", json={**body, **digests.declaration()}, headers=headers) or {}, digests
        except CliError as exc:
            wanted = int((exc.details or {}).get("partSize") or 0) if exc.code == "part_digests_required" else 0
            if not wanted or wanted == digests.part_size:
                raise
        with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
            digests = Digests.of(data, wanted, pool)
        return self.client.post("/v1/uploads", json={**body, **digests.declaration()}, headers=headers) or {}, digests

    def _wait_job(self, job_id: str) -> dict[str, Any]:
        """Poll the ingest job, with a spinner naming it (the job can take longer than the transfer)."""
        if not self.show_progress:
            return self.client.wait_job(job_id, timeout=self.job_timeout)
        with self.console.status(f"waiting for ingest job {job_id} ..."):
            return self.client.wait_job(job_id, timeout=self.job_timeout)

    def _resume(self, state_path: Path) -> dict[str, Any] | None:
        """The saved multipart session, refreshed with the parts S3 already has; None to start over."""
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            return None
        upload_id = state.get("uploadId")
        try:
            current = self.client.get(f"/v1/uploads/{upload_id}") or {}
        except CliError as exc:
            if exc.retryable:
                raise
            state_path.unlink(missing_ok=True)
            return None
        if current.get("status") != "pending":  # completed (an aborted or expired session is the 404 above)
            state_path.unlink(missing_ok=True)
            return None
        done = {int(p["partNumber"]): p for p in current.get("uploadedParts", []) if isinstance(p, dict) and p.get("etag")}
        fresh = {int(p["partNumber"]): p for p in current.get("parts", []) if isinstance(p, dict) and p.get("url")}
        parts = []
        for p in state.get("parts", []):
            n = int(p["partNumber"])
            parts.append({"partNumber": n, **{k: v for k, v in p.items() if k in ("url", "headers")},
                          **{k: v for k, v in fresh.get(n, {}).items() if k in ("url", "headers")}})
        return {**state, "method": "MULTIPART", "parts": parts, "done": list(done.values())}

    def _progress(self, label: str, total: int) -> Progress:
        return Progress(
            TextColumn("[bold blue]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=self.console, disable=not self.show_progress, transient=False,
        )

    def _send_post(self, upload: Upload, session: dict[str, Any], data: bytes, content_type: str) -> int:
        url = session.get("url")
        fields = session.get("fields") or {}
        if not url:
            raise CliError("The server's upload session has no URL.")
        try:
            if self.show_progress and len(data) >= SHOW_POST_PROGRESS_BYTES:
                with self.console.status(f"sending {upload.path.name} ({len(data):,} bytes) ..."):
                    response = self.client.raw.post(url, data=fields, files={"file": (upload.path.name, data, content_type)})
            else:
                response = self.client.raw.post(url, data=fields, files={"file": (upload.path.name, data, content_type)})
        except httpx.HTTPError as exc:
            raise CliError(f"Upload to storage failed: {exc}", retryable=True, code="network") from None
        if response.status_code >= 300:
            raise _storage_error(response)
        return len(data)

    def _send_parts(self, upload: Upload, upload_id: str, session: dict[str, Any], data: bytes | bytearray
                    ) -> tuple[list[dict[str, Any]], int]:
        part_size = int(session.get("partSize") or 8 * 1024 * 1024)
        done = {int(p["partNumber"]): p["etag"] for p in session.get("done", [])}
        todo = [p for p in session.get("parts", []) if int(p["partNumber"]) not in done]
        total = sum(_chunk_length(len(data), int(p["partNumber"]), part_size) for p in todo)
        etags: dict[int, str] = dict(done)
        with self._progress(upload.path.name, total) as progress:
            task = progress.add_task(upload.path.name, total=total)
            if done:
                progress.console.print(f"Resuming {upload.path.name}: {len(done)} part(s) already stored")

            def put(part: dict[str, Any]) -> tuple[int, str]:
                number = int(part["partNumber"])
                chunk = _chunk(data, number, part_size)
                etag = self._put_part(part["url"], chunk, part.get("headers") or {})
                progress.advance(task, len(chunk))
                return number, etag

            with ThreadPoolExecutor(max_workers=max(1, min(PART_WORKERS, len(todo)))) as pool:
                for number, etag in pool.map(put, todo):
                    etags[number] = etag
        return [{"partNumber": n, "etag": etags[n]} for n in sorted(etags)], total

    def _put_part(self, url: str, chunk: bytes, headers: dict[str, str]) -> str:
        """PUT one part with the headers its URL signs (its checksum: storage refuses other bytes)."""
        try:
            response = self.client.raw.put(url, content=chunk, headers=headers)
        except httpx.HTTPError as exc:
            raise CliError(f"Upload of a part failed: {exc}", retryable=True, code="network") from None
        if response.status_code >= 300:
            raise _storage_error(response)
        etag = response.headers.get("ETag")
        if not etag:
            raise CliError("Storage did not return an ETag for a part.", retryable=True)
        return etag


def _chunk(data: bytes | bytearray, number: int, part_size: int) -> bytes:
    return bytes(memoryview(data)[(number - 1) * part_size: number * part_size])


def _chunk_length(size: int, number: int, part_size: int) -> int:
    """Bytes in part ``number`` (without slicing a copy of it)."""
    return max(0, min(size, number * part_size) - (number - 1) * part_size)


def _storage_error(response: httpx.Response) -> CliError:
    err = error_from_response(response)
    err.message = f"Storage refused the upload: HTTP {response.status_code}"
    return err


SendFn = Callable[[Upload], Result]
