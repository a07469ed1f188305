"""The hostile corpus: bad requests, one row each, for every route the app serves.

Rows come from two places:
- generated from each route's declaration (``chalicelib.web.route.REGISTRY``): every way to be
  unauthenticated or unauthorized, every structural way to break a JSON body, a wrong type for each
  body field and query parameter, hostile values for each path parameter;
- written by hand in ``MANUAL`` for what only a route's meaning tells (bad base64, gzip bombs,
  unknown products, negative sizes, bad cursors, ...). A manual row for a route that is not served
  yet is left out, so adding a route is adding rows.

Every row is a request a client may send and the service must refuse: a 4xx in the error shape,
with nothing stored (see snapshot.py).
"""
from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import re
import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import Any

from chalicelib.web.route import REGISTRY, RouteSpec

PARAM = re.compile(r"{([^}]+)}")

# Credentials a row can use; the world (world.py) knows what each means.
UNAUTHENTICATED = {
    "none": "missing_api_key",
    "basic": "missing_api_key",
    "garbage": "invalid_api_key",
    "wrong-secret": "invalid_api_key",
    "unknown-id": "invalid_api_key",
    "revoked": "revoked_api_key",
    "expired": "expired_api_key",
}

# Plausible values for path parameters when a row is about something else.
PLAUSIBLE = {"product": "insight", "keyId": "0000000000000000"}
DEFAULT_ID = "01JD0000000000000000000000"

HOSTILE_PATH_VALUES = {
    "dotdot": "..",
    "traversal": "..%2F..%2F..%2Fetc%2Fpasswd",
    "backslash-traversal": "..\\..\\windows\\win.ini",
    "nul": "a\x00b",
    "newline": "id\r\nX-Injected: 1",
    "rtl-override": "\u202egnp.exe",
    "long": "x" * 2048,
    "wildcard": "*",
    "sql": "' OR '1'='1",
    "template": "${jndi:ldap:x}",
    "emoji": "\U0001f4a5",
}


@dataclass
class Case:
    """One bad request and what the answer must be (``status``/``code`` when they are certain)."""

    id: str
    method: str
    path: str                                 # may hold {own:<param>} / {foreign:<param>} placeholders
    credential: str = "admin"
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    code: str | None = None
    later: bool = False                       # run with the clock moved past the 'expired' key's expiry
    xfail: str | None = None                  # a known defect in the route (reason), reported upstream
    route: str = ""                           # "METHOD /template" the row exercises


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _fill(spec: RouteSpec, **values: str) -> str:
    """The route's path with each parameter replaced by its value as API Gateway hands it to the
    handler: already URL-decoded (so the values here hold no '/', '?' or '#')."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name, PLAUSIBLE.get(name, DEFAULT_ID))
    return PARAM.sub(one, spec.path)


def _types(prop: dict[str, Any]) -> set[str]:
    if "type" in prop:
        t = prop["type"]
        return set(t) if isinstance(t, list) else {t}
    found: set[str] = set()
    for alt in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _types(alt)
    if "$ref" in prop or "allOf" in prop:
        found.add("object")
    if "enum" in prop or "const" in prop:
        found.add("string")
    return found or {"any"}


WRONG_VALUES: list[tuple[str, Any, set[str]]] = [
    # (label, value, JSON types that would accept it)
    ("int", 12345, {"integer", "number", "string"}),        # lax pydantic turns some ints into datetimes
    ("object", {"nested": {"deep": 1}}, {"object"}),
    ("list", [1, "two", None], {"array"}),
    ("bool", True, {"boolean", "integer", "number"}),
    ("string", "not-the-right-type", {"string", "integer", "number", "boolean", "array"}),
]


def _wrong_values(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    accepted = _types(prop)
    if "any" in accepted:
        return []
    return [(label, value) for label, value, fits in WRONG_VALUES if not (accepted & fits)][:2]


def _auth_rows(spec: RouteSpec) -> list[Case]:
    rows = []
    body = _json({}) if spec.body is not None else None
    for credential, code in UNAUTHENTICATED.items():
        rows.append(Case(f"auth-{credential}", spec.method, _fill(spec), credential=credential, body=body,
                         status=401, code=code, later=credential == "expired"))
    if spec.scope:
        limited = "usage-reader" if spec.scope == "runs:read" else "runs-reader"
        rows.append(Case("scope-missing", spec.method, _fill(spec), credential=limited, body=body,
                         status=403, code="missing_scope"))
    return rows


def _body_rows(spec: RouteSpec) -> list[Case]:
    assert spec.body is not None
    path = _fill(spec)
    rows = [
        Case("body-invalid-json", spec.method, path, body=b"{not json", status=400, code="invalid_json"),
        Case("body-truncated-json", spec.method, path, body=b'{"a": [1, 2', status=400, code="invalid_json"),
        Case("body-invalid-utf8", spec.method, path, body=b'{"name": "\xff\xfe"}', status=400),
        Case("body-array", spec.method, path, body=_json([1, 2]), status=400, code="validation_failed"),
        Case("body-null", spec.method, path, body=b"null", status=400, code="validation_failed"),
        Case("body-string", spec.method, path, body=_json("hello"), status=400, code="validation_failed"),
        Case("body-number", spec.method, path, body=b"1e999", status=400),
        Case("body-nan", spec.method, path, body=b'{"x": NaN, "y": Infinity}', status=400),
        Case("body-deep-nesting", spec.method, path, body=b"[" * 5_000 + b"]" * 5_000, status=400),
        Case("body-wrong-content-type", spec.method, path, body=_json({}), content_type="text/plain", status=415),
        Case("body-form-encoded", spec.method, path, body=b"a=1&b=2",
             content_type="application/x-www-form-urlencoded", status=415),
        Case("body-too-large", spec.method, path, body=b'{"pad": "' + b"x" * (spec.max_body + 1) + b'"}',
             status=413, code="payload_too_large"),
        Case("body-unknown-field-only", spec.method, path, body=_json({"surprise": 1}), status=400),
    ]
    schema = spec.body.model_json_schema(by_alias=True)
    required = schema.get("required", [])
    if required:
        rows.append(Case("body-empty-object", spec.method, path, body=_json({}), status=400, code="validation_failed"))
    for name, prop in schema.get("properties", {}).items():
        for label, value in _wrong_values(prop):
            rows.append(Case(f"body-{name}-{label}", spec.method, path, body=_json({name: value}),
                             status=400, code="validation_failed"))
        if "string" in _types(prop):
            rows.append(Case(f"body-{name}-huge-string", spec.method, path,
                             body=_json({name: "y" * min(spec.max_body - 100, 60_000)}), status=400))
    return rows


def _query_rows(spec: RouteSpec) -> list[Case]:
    assert spec.query is not None
    rows = []
    schema = spec.query.model_json_schema(by_alias=True)
    for name, prop in schema.get("properties", {}).items():
        types = _types(prop)
        values: list[tuple[str, str]] = []
        if types & {"integer", "number"}:
            values += [("word", "abc"), ("negative", "-1"), ("huge", str(10**30)), ("float", "1.5e308"),
                       ("empty", "")]
        if "cursor" in name.lower() or name.lower() in {"next", "after", "page", "token"}:
            forged = base64.urlsafe_b64encode(_json({"pk": "ORG#globex", "sk": "RUN#z"})).decode()
            values += [("garbage", "!!not-a-cursor!!"), ("forged-foreign", forged),
                       ("base64-junk", base64.urlsafe_b64encode(b"\x00\xff junk").decode()),
                       ("control", "abc\x00\n")]
        if "enum" in json.dumps(prop):
            values += [("unknown-enum", "definitely-not-allowed")]
        # Path parameters name our own resources where the world has them, so the query is what fails;
        # where it has none, 404 is an equally clean refusal.
        own = {p: f"{{own?:{p}}}" for p in PARAM.findall(spec.path)}
        for label, value in values:
            query = urllib.parse.urlencode({name: value})
            rows.append(Case(f"query-{name}-{label}", spec.method, f"{_fill(spec, **own)}?{query}",
                             status=None if own else 400))
    return rows


NAMESPACE_PARAMS = frozenset({"projectId"})


def _path_rows(spec: RouteSpec) -> list[Case]:
    rows = []
    body = _json({}) if spec.body is not None else None
    for name in PARAM.findall(spec.path):
        for label, value in HOSTILE_PATH_VALUES.items():
            rows.append(Case(f"path-{name}-{label}", spec.method, _fill(spec, **{name: value}), body=body))
        # An id another organization owns (a product is nobody's; a project id names a project in the
        # caller's own organization: another's project of the same name is simply a different one).
        if name.endswith("Id") and name not in NAMESPACE_PARAMS:
            rows.append(Case(f"path-{name}-foreign", spec.method, _fill(spec, **{name: f"{{foreign:{name}}}"}),
                             body=body, status=None if spec.body is not None else 404))
    return rows


def generated() -> list[Case]:
    """Rows derived from the declarations of every served route."""
    rows: list[Case] = []
    for spec in sorted(REGISTRY, key=lambda s: (s.path, s.method)):
        route = f"{spec.method} {spec.path}"
        mine: list[Case] = []
        if spec.auth:
            mine += _auth_rows(spec)
        if spec.body is not None:
            mine += _body_rows(spec)
        if spec.query is not None:
            mine += _query_rows(spec)
        mine += _path_rows(spec)
        for row in mine:
            row.route = route
        rows += mine
    return rows


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@functools.lru_cache(maxsize=None)
def _bomb(megabytes: int) -> bytes:
    """gzip of ``megabytes`` MiB of zeros (~1000:1), far past any sane decompression ratio."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\x00" * (1 << 20)
    return b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()


EXPORT = {"diagnostics": {"src/a.ts": [{"severity": "error", "message": "m", "source": "ts", "code": "2322",
                                        "line": 3, "column": 1}]}}
EXPORT_RAW = json.dumps(EXPORT).encode()


def _inline(**override: Any) -> bytes:
    """A valid inline Insight upload body, with ``override`` applied (None removes a field)."""
    body: dict[str, Any] = {"type": "analysis-results", "data": _b64(gzip.compress(EXPORT_RAW, mtime=0)),
                            "compressed": True}
    body.update(override)
    return _json({k: v for k, v in body.items() if v is not None})


_BLOB = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


def _session(**override: Any) -> bytes:
    """A valid /v1/uploads body for a screenshot, with ``override`` applied (None removes a field)."""
    body: dict[str, Any] = {"product": "guardian", "type": "screenshot", "fileName": "home.png",
                            "contentType": "image/png", "size": len(_BLOB),
                            "sha256": hashlib.sha256(_BLOB).hexdigest(), "testRunId": "tr-hostile-2"}
    body.update(override)
    return _json({k: v for k, v in body.items() if v is not None})


def _file(**override: Any) -> bytes:
    """A valid /v1/storage/upload-url body, with ``override`` applied (None removes a field)."""
    body: dict[str, Any] = {"fileName": "report.json", "contentType": "application/json", "size": 100}
    body.update(override)
    return _json({k: v for k, v in body.items() if v is not None})


def _increment(**override: Any) -> bytes:
    body: dict[str, Any] = {"metric": "insight_analyses", "amount": 1, "eventId": "hostile-event-1"}
    body.update(override)
    return _json({k: v for k, v in body.items() if v is not None})


UP = "/v1/upload/insight"
SHA_OTHER = "0" * 64

MANUAL: list[Case] = [
    # --- api keys ---
    Case("keys-expiry-in-past", "POST", "/v1/api-keys", body=_json({"name": "old", "expiresAt": "2000-01-01T00:00:00Z"}),
         status=400),
    Case("keys-unknown-scope", "POST", "/v1/api-keys", body=_json({"name": "x", "scopes": ["root:all"]}),
         status=400, code="unknown_scope"),
    Case("keys-no-scopes", "POST", "/v1/api-keys", body=_json({"name": "x", "scopes": []}), status=400),
    Case("keys-too-many-scopes", "POST", "/v1/api-keys", body=_json({"name": "x", "scopes": ["runs:read"] * 33}),
         status=400),
    Case("keys-scope-escalation", "POST", "/v1/api-keys", credential="keys-admin",
         body=_json({"name": "x", "scopes": ["keys:admin", "usage:admin"]}), status=403, code="scope_escalation"),
    Case("keys-name-control-chars", "POST", "/v1/api-keys", body=_json({"name": "bad\x00name\r\nX: y", "scopes": ["runs:read"]}),
         status=400, code="validation_failed"),
    Case("keys-name-bidi-override", "POST", "/v1/api-keys", body=_json({"name": "invoice\u202egpj.exe"}),
         status=400, code="validation_failed"),
    Case("keys-name-zero-width", "POST", "/v1/api-keys", body=_json({"name": "ci\u200bkey"}), status=400,
         code="validation_failed"),
    Case("keys-name-blank", "POST", "/v1/api-keys", body=_json({"name": " \t "}), status=400, code="validation_failed"),
    Case("keys-name-too-long", "POST", "/v1/api-keys", body=_json({"name": "k" * 101}), status=400,
         code="validation_failed"),
    Case("keys-name-not-a-string", "POST", "/v1/api-keys", body=_json({"name": 12}), status=400,
         code="validation_failed"),
    Case("keys-bad-date", "POST", "/v1/api-keys", body=_json({"name": "x", "expiresAt": "yesterday"}), status=400),
    Case("keys-revoke-foreign", "DELETE", "/v1/api-keys/{foreign:keyId}", status=404, code="not_found"),
    Case("keys-revoke-foreign-with-keys-admin", "DELETE", "/v1/api-keys/{foreign:keyId}", credential="keys-admin",
         status=404, code="not_found"),
    Case("keys-foreign-key-on-whoami-of-revoked", "GET", "/v1/whoami", credential="revoked", status=401),

    # --- inline door: encoding, compression, bombs ---
    Case("inline-unknown-product", "POST", "/v1/upload/nope", body=_inline(), status=400, code="unknown_product"),
    Case("inline-product-traversal", "POST", "/v1/upload/..", body=_inline(), status=400, code="unknown_product"),
    Case("inline-product-uppercase", "POST", "/v1/upload/INSIGHT", body=_inline(), status=400, code="unknown_product"),
    Case("inline-unknown-type", "POST", UP, body=_inline(type="not-a-type"), status=400, code="unknown_type"),
    Case("inline-type-of-other-product", "POST", UP, body=_inline(type="ledger"), status=400, code="unknown_type"),
    Case("inline-type-traversal", "POST", UP, body=_inline(type="../../etc/passwd"), status=400, code="unknown_type"),
    Case("inline-type-control", "POST", UP, body=_inline(type="analysis-results\x00"), status=400),
    Case("inline-detector-bad-name", "POST", UP, body=_inline(type="detector-../x"), status=400, code="unknown_type"),
    Case("inline-binary-type", "POST", "/v1/upload/guardian", body=_inline(type="screenshot")),
    Case("inline-bad-base64", "POST", UP, body=_inline(data="!!! not base64 !!!"), status=400, code="invalid_base64"),
    Case("inline-base64-bad-padding", "POST", UP, body=_inline(data="abc"), status=400, code="invalid_base64"),
    Case("inline-base64-urlsafe-junk", "POST", UP, body=_inline(data="-_-_" * 10 + "="), status=400),
    Case("inline-empty-data", "POST", UP, body=_inline(data=""), status=400),
    Case("inline-not-gzip", "POST", UP, body=_inline(data=_b64(b"plain bytes, not gzip")), status=400, code="invalid_gzip"),
    Case("inline-truncated-gzip", "POST", UP, body=_inline(data=_b64(gzip.compress(EXPORT_RAW * 50)[:40])),
         status=400, code="invalid_gzip"),
    Case("inline-gzip-bad-crc", "POST", UP,
         body=_inline(data=_b64(gzip.compress(EXPORT_RAW)[:-8] + b"\x00" * 8)), status=400, code="invalid_gzip"),
    Case("inline-gzip-trailing-garbage", "POST", UP,
         body=_inline(data=_b64(gzip.compress(EXPORT_RAW) + b"garbage")), status=400),
    Case("inline-gzip-bomb-size", "POST", UP, body=_inline(data=_b64(_bomb(80))), status=413, code="decompression_limit"),
    Case("inline-gzip-bomb-ratio", "POST", UP, body=_inline(data=_b64(_bomb(8))), status=413, code="decompression_limit"),
    Case("inline-gzip-nested-bomb", "POST", UP, body=_inline(data=_b64(gzip.compress(_bomb(80)))),
         status=400),
    Case("inline-gzip-of-invalid-json", "POST", UP, body=_inline(data=_b64(gzip.compress(b"{not json"))),
         status=400, code="invalid_json"),
    Case("inline-gzip-of-invalid-utf8", "POST", UP, body=_inline(data=_b64(gzip.compress(b'{"a": "\xff\xfe"}'))),
         status=400),
    Case("inline-gzip-of-deep-json", "POST", UP,
         body=_inline(data=_b64(gzip.compress(b'{"d": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))), status=400),
    Case("inline-uncompressed-but-gzip", "POST", UP, body=_inline(compressed=False), status=400),
    Case("inline-compressed-but-plain", "POST", UP, body=_inline(data=_b64(EXPORT_RAW)), status=400, code="invalid_gzip"),
    Case("inline-json-array", "POST", UP, body=_inline(data=_b64(gzip.compress(b"[1, 2, 3]"))), status=400),
    Case("inline-json-null", "POST", UP, body=_inline(data=_b64(gzip.compress(b"null"))), status=400),
    Case("inline-diagnostics-wrong-type", "POST", UP,
         body=_inline(data=_b64(gzip.compress(_json({"diagnostics": "lots"})))), status=400, code="validation_failed"),
    Case("inline-diagnostic-negative-line", "POST", UP,
         body=_inline(data=_b64(gzip.compress(_json({"diagnostics": {"a.ts": [{"message": "m", "line": -5}]}})))),
         status=400, code="validation_failed"),
    Case("inline-checksum-mismatch", "POST", UP, body=_inline(sha256=SHA_OTHER), status=400, code="checksum_mismatch"),
    Case("inline-checksum-not-hex", "POST", UP, body=_inline(sha256="z" * 64), status=400, code="validation_failed"),
    Case("inline-project-traversal", "POST", UP, body=_inline(projectId="../../etc"), status=400),
    Case("inline-project-control", "POST", UP, body=_inline(projectId="p\r\nq"), status=400),
    Case("inline-metadata-too-big", "POST", UP, body=_inline(metadata={"pad": "m" * 40_000}), status=400),
    Case("inline-metadata-not-object", "POST", UP, body=_inline(metadata=[1, 2]), status=400),
    Case("inline-compressed-not-bool", "POST", UP, body=_inline(compressed="yes please"), status=400),
    Case("inline-idempotency-too-long", "POST", UP, body=_inline(), headers={"Idempotency-Key": "k" * 300}, status=400),
    Case("inline-idempotency-control", "POST", UP, body=_inline(), headers={"Idempotency-Key": "a\tb"}, status=400),
    Case("inline-idempotency-conflict", "POST", UP, body=_inline(projectId="another"),
         headers={"Idempotency-Key": "hostile-seed-upload-0001"}, status=409, code="idempotency_conflict"),
    Case("inline-missing-scope", "POST", UP, credential="runs-reader", body=_inline(), status=403),
    Case("inline-too-large-for-door", "POST", UP, body=b"x" * (7 * 1024 * 1024), status=413, code="payload_too_large"),

    # --- large/binary door ---
    Case("uploads-negative-size", "POST", "/v1/uploads", body=_session(size=-1), status=400),
    Case("uploads-zero-size", "POST", "/v1/uploads", body=_session(size=0), status=400),
    Case("uploads-huge-size", "POST", "/v1/uploads", body=_session(size=10**30), status=400),
    Case("uploads-over-5gib", "POST", "/v1/uploads", body=_session(size=5 * 1024**3 + 1), status=400),
    Case("uploads-float-size", "POST", "/v1/uploads", body=_session(size=1.5), status=400),
    Case("uploads-bad-sha", "POST", "/v1/uploads", body=_session(sha256="abc"), status=400),
    Case("uploads-unknown-product", "POST", "/v1/uploads", body=_session(product="nope"), status=400, code="unknown_product"),
    Case("uploads-unknown-type", "POST", "/v1/uploads", body=_session(type="../screenshot"), status=400, code="unknown_type"),
    Case("uploads-exe-content-type", "POST", "/v1/uploads", body=_session(contentType="application/x-msdownload"),
         status=415),
    Case("uploads-html-as-screenshot", "POST", "/v1/uploads", body=_session(contentType="text/html"), status=415),
    Case("uploads-missing-run", "POST", "/v1/uploads", body=_session(testRunId=None), status=400),
    Case("uploads-run-traversal", "POST", "/v1/uploads", body=_session(testRunId="../../x"), status=400),
    Case("uploads-run-control", "POST", "/v1/uploads", body=_session(testRunId="tr\x00x"), status=400),
    Case("uploads-name-too-long", "POST", "/v1/uploads", body=_session(fileName="a" * 256 + ".png"), status=400),
    Case("uploads-missing-scope", "POST", "/v1/uploads", credential="runs-reader", body=_session(), status=403),
    Case("uploads-get-foreign", "GET", "/v1/uploads/{foreign:uploadId}", status=404),
    Case("uploads-delete-foreign", "DELETE", "/v1/uploads/{foreign:uploadId}", status=404),
    Case("uploads-complete-foreign", "POST", "/v1/uploads/{foreign:uploadId}/complete", body=_json({}), status=404),
    Case("uploads-complete-nothing-sent", "POST", "/v1/uploads/{own:uploadId}/complete", body=_json({}), status=409),
    Case("uploads-complete-bogus-parts", "POST", "/v1/uploads/{own:uploadId}/complete",
         body=_json({"parts": [{"partNumber": 1, "etag": "\"bogus\""}]})),
    Case("uploads-complete-part-zero", "POST", "/v1/uploads/{own:uploadId}/complete",
         body=_json({"parts": [{"partNumber": 0, "etag": "e"}]}), status=400),
    Case("uploads-complete-part-huge", "POST", "/v1/uploads/{own:uploadId}/complete",
         body=_json({"parts": [{"partNumber": 10**12, "etag": "e"}]}), status=400),
    Case("uploads-complete-inline-upload-id", "POST", "/v1/uploads/{own:inlineUploadId}/complete", body=_json({})),

    # --- runs ---
    Case("runs-unknown-product", "GET", "/v1/runs/nope", status=400, code="unknown_product"),
    Case("runs-foreign-detail", "GET", "/v1/runs/insight/{foreign:runId}", status=404, code="not_found"),
    Case("runs-foreign-delete", "DELETE", "/v1/runs/insight/{foreign:runId}", credential="admin", status=404),
    Case("runs-own-run-wrong-product", "GET", "/v1/runs/guardian/{own:runId}", status=404),
    Case("runs-delete-without-scope", "DELETE", "/v1/runs/insight/{own:runId}", credential="runs-reader", status=403),
    Case("runs-bad-from-date", "GET", "/v1/runs/insight?from=not-a-date", status=400),
    Case("runs-forged-cursor", "GET", "/v1/runs/insight?cursor=" + base64.urlsafe_b64encode(
        _json({"pk": "ORG#globex#insight", "sk": "0"})).decode(), status=400),

    # --- storage ---
    Case("storage-negative-size", "POST", "/v1/storage/upload-url", body=_file(size=-100), status=400),
    Case("storage-huge-size", "POST", "/v1/storage/upload-url", body=_file(size=10**30), status=400),
    Case("storage-over-limit", "POST", "/v1/storage/upload-url", body=_file(size=100 * 1000 * 1000 + 1), status=400),
    Case("storage-exe", "POST", "/v1/storage/upload-url", body=_file(contentType="application/x-msdownload"), status=415),
    Case("storage-unknown-product", "POST", "/v1/storage/upload-url", body=_file(product="nope"), status=400),
    Case("storage-expiry-out-of-range", "POST", "/v1/storage/upload-url", body=_file(expiresIn=10**9), status=400),
    Case("storage-file-expiry-past", "POST", "/v1/storage/upload-url", body=_file(fileExpiresAt="2000-01-01T00:00:00Z"),
         status=400),
    Case("storage-bad-sha", "POST", "/v1/storage/upload-url", body=_file(sha256="nothex"), status=400),
    Case("storage-missing-scope", "POST", "/v1/storage/upload-url", credential="runs-reader", body=_file(), status=403),
    Case("storage-download-foreign", "GET", "/v1/storage/files/{foreign:fileId}/download-url", status=404),
    Case("storage-delete-foreign", "DELETE", "/v1/storage/files/{foreign:fileId}", status=404),
    Case("storage-complete-foreign", "POST", "/v1/storage/files/{foreign:fileId}/complete", body=_json({}), status=404),
    Case("storage-complete-nothing-sent", "POST", "/v1/storage/files/{own:fileId}/complete", body=_json({})),
    Case("storage-download-pending", "GET", "/v1/storage/files/{own:fileId}/download-url"),

    # --- usage ---
    Case("usage-increment-needs-admin", "POST", "/v1/usage/increment", credential="usage-reader", body=_increment(),
         status=403),
    Case("usage-increment-negative", "POST", "/v1/usage/increment", body=_increment(amount=-5), status=400),
    Case("usage-increment-zero", "POST", "/v1/usage/increment", body=_increment(amount=0), status=400),
    Case("usage-increment-huge", "POST", "/v1/usage/increment", body=_increment(amount=10**30), status=400),
    Case("usage-increment-unknown-metric", "POST", "/v1/usage/increment", body=_increment(metric="gold"), status=400),
    Case("usage-increment-event-traversal", "POST", "/v1/usage/increment", body=_increment(eventId="../../x"),
         status=400),
    Case("usage-history-too-many", "GET", "/v1/usage/history?months=1000", status=400),

    # --- jobs ---
    Case("jobs-foreign-or-unknown", "GET", "/v1/jobs/01JD0000000000000000000000", status=404),
    Case("jobs-retry-unknown", "POST", "/v1/jobs/01JD0000000000000000000000/retry", status=404),
    Case("jobs-cancel-unknown", "POST", "/v1/jobs/01JD0000000000000000000000/cancel", status=404),
    Case("jobs-delete-missing-query", "DELETE", "/v1/jobs", status=400),
    Case("jobs-delete-negative", "DELETE", "/v1/jobs?olderThanDays=-1", status=400),
    Case("jobs-bad-status", "GET", "/v1/jobs?status=exploded", status=400),
]


def manual() -> list[Case]:
    """Hand-written rows whose route is served."""
    served = {(s.method, s.path) for s in REGISTRY}
    templates = [(s.method, s.path, re.compile("^" + PARAM.sub(r"[^/?]+", s.path) + r"(\?.*)?$")) for s in REGISTRY]
    rows = []
    for row in MANUAL:
        concrete = re.sub(r"{(own|foreign):[^}]+}", "x", row.path)
        hit = next((f"{m} {p}" for m, p, rx in templates if m == row.method and rx.match(concrete)), None)
        if hit is not None:
            row.route = hit
            rows.append(row)
    del served
    return rows


def corpus() -> list[Case]:
    """Every row for the served routes; ids are unique."""
    rows = generated() + manual()
    seen: dict[str, int] = {}
    for row in rows:
        base = f"{row.route} {row.id}"
        seen[base] = seen.get(base, 0) + 1
        row.id = base if seen[base] == 1 else f"{base} #{seen[base]}"
    return rows
