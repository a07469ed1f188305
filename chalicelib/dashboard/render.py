"""Rendering: the Jinja2 environment (autoescape on everywhere), the content-hashed static assets and the
headers every page carries (a strict CSP without inline script, nosniff, no referrer, no framing)."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from chalice import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from chalicelib.config import get_settings

HERE = Path(__file__).resolve().parent
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    name: str  # the served name, with the content hash: app.1a2b3c4d5e.css
    body: str
    content_type: str


def _assets() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for path in sorted((HERE / "static").iterdir()):
        if path.suffix not in TYPES:
            continue
        body = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(body.encode()).hexdigest()[:10]
        served = f"{path.stem}.{digest}{path.suffix}"
        found[path.name] = Asset(served, body, TYPES[path.suffix])
    return found


ASSETS = _assets()
BY_SERVED = {a.name: a for a in ASSETS.values()}


def base_path() -> str:
    """The dashboard's path prefix (``/dashboard``), taken from the public dashboard URL."""
    return (urlsplit(get_settings().dashboard_url).path or "/dashboard").rstrip("/")


def asset_url(name: str) -> str:
    return f"{base_path()}/static/{ASSETS[name].name}"


def url(*parts: str, **query: Any) -> str:
    """A dashboard path from its segments (each quoted) and query (None values left out)."""
    path = base_path() + "".join("/" + quote(str(p), safe="") for p in parts)
    if not parts:
        path += "/"
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urlencode(params) if params else "")


_env_lock = threading.Lock()
_env: Environment | None = None


def env() -> Environment:
    global _env
    if _env is None:
        with _env_lock:
            if _env is None:
                environment = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True,
                                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                          auto_reload=False)
                environment.globals.update(asset=asset_url, url=url)
                environment.filters.update(duration=duration, pct=pct, num=num, when=when, size=size)
                _env = environment
    return _env


def duration(ms: Any) -> str:
    """Milliseconds for people: 950 ms, 1.8 s, 1 min 12 s."""
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def pct(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) or isinstance(value, bool) else f"{value:.0f} %"


def num(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) or isinstance(value, bool) else f"{value:,}"


def size(n: Any) -> str:
    """Bytes for people (binary units, as the plan limits count them): 512 B, 1.5 KiB, 10.0 GiB."""
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        return "—"
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"


def when(iso: Any) -> str:
    """An ISO time shortened to minutes, UTC."""
    text = str(iso or "")
    return text[:16].replace("T", " ") + " UTC" if len(text) >= 16 else text or "—"


_s3_origin: str | None = None


def s3_origin() -> str:
    """Where presigned screenshot URLs point (moto's server locally, S3 on AWS), for the CSP's img-src:
    taken from a presigned URL itself, computed locally without a request."""
    global _s3_origin
    if _s3_origin is None:
        from chalicelib.store import objects

        parts = urlsplit(objects.presigned_get("csp-origin-probe", 60))
        _s3_origin = f"{parts.scheme}://{parts.netloc}"
    return _s3_origin


def security_headers(request_id: str) -> dict[str, str]:
    csp = ("default-src 'none'; script-src 'self'; style-src 'self'; "
           f"img-src 'self' data: {s3_origin()}; form-action 'self' {s3_origin()}; frame-ancestors 'none'; "
           "base-uri 'none'; connect-src 'self'")
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # same-origin: the dashboard's own form posts carry their Origin (no-referrer would send "null"),
        # nothing leaves for other sites
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "X-Request-Id": request_id,
    }


def page(template: str, context: dict[str, Any], request_id: str, status: int = 200,
         cookies: list[str] | None = None) -> Response:
    html = env().get_template(template).render(**context)
    headers: dict[str, Any] = {**security_headers(request_id), "Content-Type": "text/html; charset=utf-8",
                               "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return Response(body=html, status_code=status, headers=headers)


def redirect(location: str, request_id: str, cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {**security_headers(request_id), "Location": location, "Cache-Control": "no-store",
                               "Content-Type": "text/plain; charset=utf-8"}
    if cookies:
        headers["Set-Cookie"] = cookies if len(cookies) > 1 else cookies[0]
    return Response(body="", status_code=303, headers=headers)


def static(name: str, request_id: str) -> Response | None:
    asset = BY_SERVED.get(name)
    if asset is None:
        return None
    headers = {"Content-Type": asset.content_type, "Cache-Control": "public, max-age=31536000, immutable",
               "X-Content-Type-Options": "nosniff", "X-Request-Id": request_id}
    return Response(body=asset.body, status_code=200, headers=headers)
