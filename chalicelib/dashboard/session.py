"""Dashboard sessions: a signed, expiring cookie that holds no secret, and one-time sign-in links.

The cookie is ``base64url(JSON {k: key id, o: organization, e: expiry, n: nonce}) . HMAC-SHA256``. The
signing key comes from settings (SSM on AWS, the environment, or per process on loopback), never from
code. Every request re-loads the key record, so revoking (or expiring) a key ends its sessions at once.
The CSRF token of a session is an HMAC of its nonce: a form posted without it is refused."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.logs import logger
from chalicelib.services.auth import Principal
from chalicelib.store import api_keys, login_links, orgs

COOKIE = "odavl_session"
LOGIN_COOKIE = "odavl_login"  # pre-session nonce: the sign-in form's CSRF token is bound to it
SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 30 * 60
LINK_SECONDS = 5 * 60

_lock = threading.Lock()
_key_cache: dict[str, bytes] = {}


class NotConfigured(Exception):
    """No session signing key is configured where one must be (not loopback)."""


@dataclass(frozen=True)
class Session:
    key_id: str
    org_id: str
    expires: int
    nonce: str


def loopback_http(url: str) -> bool:
    """Whether ``url`` is plain http on a loopback host (the only case a cookie may lack Secure)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def signing_key() -> bytes:
    """The HMAC key of this stage's cookies: settings first, then the SSM parameter (read once, cached);
    a random per-process key only when serving plain http on loopback (the local stack)."""
    settings = get_settings()
    given = hashlib.sha256(settings.session_secret.encode()).hexdigest()
    cache_id = f"{settings.session_secret_parameter}|{given}|{settings.public_url}"
    key = _key_cache.get(cache_id)
    if key is not None:
        return key
    with _lock:
        key = _key_cache.get(cache_id)
        if key is None:
            key = _load_key(settings)
            _key_cache[cache_id] = key
    return key


def _load_key(settings: Any) -> bytes:
    if settings.session_secret:
        secret = settings.session_secret
    elif settings.session_secret_parameter:
        from chalicelib.store import parameters

        secret = parameters.secure_parameter(settings.session_secret_parameter)
    elif loopback_http(settings.public_url):
        logger.info("dashboard sessions signed with a per-process key (loopback, none configured)")
        return secrets.token_bytes(32)
    else:
        raise NotConfigured("Set ODAVL_SESSION_SECRET_PARAMETER (or ODAVL_SESSION_SECRET) for the dashboard.")
    if len(secret) < 32:
        raise NotConfigured("The dashboard's session secret must be at least 32 characters.")
    return hashlib.sha256(b"odavl-dashboard-session|" + secret.encode()).digest()


def reset() -> None:
    """Forget the cached signing key (tests that change settings)."""
    with _lock:
        _key_cache.clear()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, data: str) -> str:
    return _b64(hmac.new(signing_key(), f"{purpose}|{data}".encode(), hashlib.sha256).digest())


def issue(key_id: str, org_id: str, now: float | None = None) -> tuple[str, Session]:
    """A new session for a key: the cookie value and what it holds."""
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    session = Session(key_id, org_id, expires, secrets.token_urlsafe(16))
    body = _b64(json.dumps({"k": key_id, "o": org_id, "e": expires, "n": session.nonce},
                           separators=(",", ":")).encode())
    return f"{body}.{_mac('session', body)}", session


def read(value: str | None, now: float | None = None) -> Session | None:
    """The session of a cookie value; None when absent, malformed, forged or expired."""
    if not value or len(value) > 1024 or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac.encode(), _mac("session", body).encode()):
        return None
    try:
        data = json.loads(_unb64(body))
        session = Session(str(data["k"]), str(data["o"]), int(data["e"]), str(data["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires <= (now if now is not None else time.time()):
        return None
    return session


def principal(session: Session) -> Principal | None:
    """The caller behind a session, re-read now: None when the key is gone, revoked, expired or moved."""
    item = api_keys.get_key(session.key_id)
    if item is None or item.get("orgId") != session.org_id or item.get("revokedAt"):
        return None
    expires_at = item.get("expiresAt")
    if expires_at and clock.parse_iso(expires_at) <= clock.now():
        return None
    org = orgs.get_org(session.org_id)
    if org is None:
        return None
    return Principal(org_id=session.org_id, key_id=session.key_id, scopes=frozenset(item.get("scopes", [])),
                     plan=str(org.get("plan", "FREE")), org_name=str(org.get("name", "")),
                     key_name=str(item.get("name", "")))


def csrf_token(session: Session) -> str:
    """The token a session's forms carry (derived, so nothing more is stored)."""
    return _mac("csrf", session.nonce)


def csrf_ok(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token).encode(), csrf_token(session).encode())


def login_nonce() -> str:
    return secrets.token_urlsafe(16)


def login_csrf(nonce: str) -> str:
    """The sign-in form's token, bound to the pre-session nonce cookie (stops signing someone in
    with another person's key from a foreign page)."""
    return _mac("login", nonce)


def login_csrf_ok(nonce: str | None, token: str | None) -> bool:
    return bool(nonce) and bool(token) and hmac.compare_digest(str(token).encode(), login_csrf(str(nonce)).encode())


def cookie(name: str, value: str, max_age: int) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/dashboard, Secure unless plain http on loopback."""
    path = urlsplit(get_settings().dashboard_url).path or "/dashboard"
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max(0, max_age)}", "HttpOnly", "SameSite=Lax"]
    if not loopback_http(get_settings().dashboard_url):
        parts.append("Secure")
    return "; ".join(parts)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(p: Principal, next_path: str) -> tuple[str, int]:
    """A one-time sign-in token for the key of ``p`` (stored hashed, valid LINK_SECONDS): (token, expiry)."""
    token = secrets.token_urlsafe(32)
    expires = int(time.time()) + LINK_SECONDS
    login_links.put_link(hash_token(token), p.key_id, p.org_id, next_path, expires)
    return token, expires


def take_link(token: str) -> tuple[Session, str, str] | None:
    """Use a one-time token: (session, cookie value, where to go), or None when unknown, used or expired."""
    if not token or len(token) > 200:
        return None
    record = login_links.take_link(hash_token(token))
    if record is None or int(record.get("expiresAt", 0)) <= time.time():
        return None
    value, session = issue(str(record["keyId"]), str(record["orgId"]))
    return session, value, str(record.get("next") or "")
