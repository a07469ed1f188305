"""Settings read from the environment, so one code base serves every stage and moto."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

RETENTION_DAYS_BY_STAGE = {"prod": 30, "staging": 7, "dev": 3}

# Ingest holds the parsed payload, its validated model, the run's items and its pages at once: the
# worst shape (the smallest valid diagnostics, {"message":"x"}, by the million) peaks near 55x its JSON
# size, typical small diagnostics at 25x (bench/RESULTS.md, ingest_memory). A function that ingests N
# bytes of JSON therefore needs 2 x 60 x N of memory (with a margin) to stay within half of it;
# tests/infra holds the Chalice config to that for the upload function and the worker.
INGEST_MEMORY_PER_JSON_BYTE = 60
# The inline door's JSON (decompressed) bound: within half of the smallest upload function (1,024 MB).
INLINE_DECOMPRESSED_MAX_BYTES = 8 * 1024 * 1024


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about where it runs."""

    stage: str = "dev"
    region: str = "us-east-1"
    resource_prefix: str = "odavl-dev"
    bucket: str = "odavl-dev-payloads"
    ingest_queue: str = "odavl-dev-ingest"
    ingest_dlq: str = "odavl-dev-ingest-dlq"
    public_url: str = "http://127.0.0.1:8000"
    dashboard_url: str = "http://127.0.0.1:8000/dashboard"
    inline_max_bytes: int = 5 * 1024 * 1024
    decompressed_max_bytes: int = 64 * 1024 * 1024  # any run, through either door (the worker's bound)
    inline_decompressed_max_bytes: int = INLINE_DECOMPRESSED_MAX_BYTES  # the inline door: larger goes to /v1/uploads
    decompression_max_ratio: int = 200
    presign_expiry_seconds: int = 900
    part_size_bytes: int = 8 * 1024 * 1024
    backup_retention_days: int = 3
    # The dashboard's session-cookie signing key: given directly (ODAVL_SESSION_SECRET), or the name of an SSM
    # SecureString parameter holding it (ODAVL_SESSION_SECRET_PARAMETER, on AWS); served on loopback with
    # neither, each process makes a random one. Never in code.
    session_secret: str = field(default="", repr=False)
    session_secret_parameter: str = ""
    tables: dict[str, str] = field(default_factory=dict)

    def table(self, name: str) -> str:
        """Physical table name of a logical table (orgs, api-keys, runs, usage, files, jobs, idempotency)."""
        return self.tables.get(name) or f"{self.resource_prefix}-{name}"


TABLE_NAMES = ("orgs", "api-keys", "runs", "usage", "files", "jobs", "idempotency")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process (tests call ``reset_settings``)."""
    stage = os.environ.get("ODAVL_STAGE", "dev")
    prefix = os.environ.get("ODAVL_RESOURCE_PREFIX", f"odavl-{stage}")
    public_url = os.environ.get("ODAVL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        resource_prefix=prefix,
        bucket=os.environ.get("ODAVL_BUCKET", f"{prefix}-payloads"),
        ingest_queue=os.environ.get("ODAVL_INGEST_QUEUE", f"{prefix}-ingest"),
        ingest_dlq=os.environ.get("ODAVL_INGEST_DLQ", f"{prefix}-ingest-dlq"),
        public_url=public_url,
        dashboard_url=os.environ.get("ODAVL_DASHBOARD_URL", f"{public_url}/dashboard").rstrip("/"),
        inline_max_bytes=_int("ODAVL_INLINE_MAX_BYTES", 5 * 1024 * 1024),
        decompressed_max_bytes=_int("ODAVL_DECOMPRESSED_MAX_BYTES", 64 * 1024 * 1024),
        inline_decompressed_max_bytes=_int("ODAVL_INLINE_DECOMPRESSED_MAX_BYTES", INLINE_DECOMPRESSED_MAX_BYTES),
        decompression_max_ratio=_int("ODAVL_DECOMPRESSION_MAX_RATIO", 200),
        presign_expiry_seconds=min(_int("ODAVL_PRESIGN_EXPIRY_SECONDS", 900), 900),
        part_size_bytes=max(_int("ODAVL_PART_SIZE_BYTES", 8 * 1024 * 1024), 5 * 1024 * 1024),
        backup_retention_days=_int("ODAVL_BACKUP_RETENTION_DAYS", RETENTION_DAYS_BY_STAGE.get(stage, 3)),
        session_secret=os.environ.get("ODAVL_SESSION_SECRET", ""),
        session_secret_parameter=os.environ.get("ODAVL_SESSION_SECRET_PARAMETER", ""),
    )


def reset_settings() -> None:
    """Forget cached settings (after the environment changed)."""
    get_settings.cache_clear()
