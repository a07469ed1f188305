"""``route``: the one way an endpoint is declared.

The handler's signature is its contract: ``def create_api_key(ctx, body: models.CreateKeyRequest)
-> models.CreatedKey``. A parameter named ``body`` is the JSON request body, ``query`` the query
string, the others the path parameters; the return annotation is the reply's model
(``Reply[models.X]`` for a reply with its own status or headers). Annotations are read lazily,
through the route module's ``lazy_module`` proxies, so declaring a route loads no model: the
first request (or the OpenAPI document) does. The decorator adds the scope and success status;
the wrapper does the rest the same way everywhere: request id, authentication, scope, JSON
parsing and pydantic validation (400), body size (413), error shape, one log line. With
``ODAVL_CHECK_REPLIES=1`` (the test suites) every reply is validated against its model, whose
unknown fields are refused, so the published document cannot drift from what is sent.
"""
from __future__ import annotations

import functools
import json
import os
import time
import typing
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from chalice import Blueprint, Response

from chalicelib.errors import DomainError, InvalidInput, TooLarge, UnsupportedContentType
from chalicelib.web.errors import status_of
from chalicelib.logs import logger
from chalicelib.services import auth
from chalicelib.services.auth import Principal

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T")
CHECK_REPLIES_ENV = "ODAVL_CHECK_REPLIES"

CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
]
DEFAULT_MAX_BODY = 64 * 1024


@dataclass
class RouteSpec:
    """What a route declares; also the source of its OpenAPI operation."""

    path: str
    method: str
    name: str
    summary: str
    scope: str | None
    auth: bool
    handler: Callable[..., Any]
    status: int
    tags: tuple[str, ...]
    max_body: int
    errors: tuple[int, ...]
    metered: bool
    too_large_hint: str = ""  # appended to the 413 message (e.g. where larger bodies go)
    free: bool = False  # rate-limited, but never counted as an API call (whoami, one's own usage)

    @property
    def takes_body(self) -> bool:
        return "body" in self.handler.__annotations__

    @property
    def takes_query(self) -> bool:
        return "query" in self.handler.__annotations__

    @property
    def body(self) -> type[BaseModel] | None:
        return self._annotation("body") if self.takes_body else None

    @property
    def query(self) -> type[BaseModel] | None:
        return self._annotation("query") if self.takes_query else None

    @property
    def response(self) -> type[BaseModel] | None:
        """The reply's model; None for a route that answers without a JSON body of its own (204, pages)."""
        hint = self._annotation("return")
        if typing.get_origin(hint) is Reply:
            (hint,) = typing.get_args(hint)
        return hint if isinstance(hint, type) and hasattr(hint, "model_validate") else None

    def _annotation(self, name: str) -> Any:
        """The handler's annotation ``name`` evaluated where the handler was defined (imports the model)."""
        raw = self.handler.__annotations__.get(name)
        if not isinstance(raw, str):
            return raw
        return _evaluate(self.handler, raw)


@functools.lru_cache(maxsize=None)
def _evaluate(handler: Callable[..., Any], annotation: str) -> Any:
    return eval(annotation, handler.__globals__)  # noqa: S307 (our own source's annotations)


REGISTRY: list[RouteSpec] = []

# Hooks run after authentication and before the handler (metering, rate limits).
# Each receives the context and may raise an DomainError or add response headers.
AFTER_AUTH_HOOKS: list[Callable[["RequestContext"], None]] = []
# Hooks run when a request ends in an DomainError (e.g. metering gives back a call answered 403 by a
# scope check inside the handler). They must not raise; a failure is logged and ignored.
ERROR_HOOKS: list[Callable[["RequestContext", DomainError], None]] = []


@dataclass
class RequestContext:
    """What a handler gets besides its parsed inputs."""

    request: Any
    request_id: str
    spec: RouteSpec
    principal: Principal | None = None
    headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    # Set by the metering hook: the counters this request moved and its retry/operation markers,
    # so an answer refused for its input can give them back.
    metered_keys: list[dict[str, str]] = field(default_factory=list)
    metered_mark: str | None = None
    metered_operation: str | None = None

    @property
    def org_id(self) -> str:
        assert self.principal is not None
        return self.principal.org_id

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass
class Reply(Generic[T]):
    """A handler result with a non-default status or extra headers (``Reply[Model]`` in annotations)."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ReplyMismatch(AssertionError):
    """A reply that its published model refuses (only looked for when replies are checked)."""


def route(
    bp: Blueprint,
    path: str,
    method: str = "GET",
    *,
    summary: str,
    scope: str | None = None,
    auth_required: bool = True,
    status: int = 200,
    tags: tuple[str, ...] = (),
    max_body: int = DEFAULT_MAX_BODY,
    errors: tuple[int, ...] = (),
    metered: bool = True,
    too_large_hint: str = "",
    free: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an endpoint. The handler is called as ``fn(ctx, [body], [query], **path_params)``."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = RouteSpec(
            path=path, method=method.upper(), name=fn.__name__, summary=summary, scope=scope,
            auth=auth_required, handler=fn, status=status,
            tags=tags, max_body=max_body, errors=errors, metered=metered, too_large_hint=too_large_hint, free=free,
        )
        REGISTRY.append(spec)

        @functools.wraps(fn)
        def view(**params: str) -> Response:
            return _handle(spec, fn, bp.current_request, params)

        bp.route(path, methods=[spec.method], content_types=CONTENT_TYPES)(view)
        return fn

    return decorator


def error_response(exc: DomainError, request_id: str) -> Response:
    """Render an DomainError in the documented shape."""
    headers = {"Content-Type": "application/json", "X-Request-Id": request_id, **exc.headers}
    return Response(body=json.dumps(exc.body(request_id)), status_code=status_of(exc), headers=headers)


def _handle(spec: RouteSpec, fn: Callable[..., Any], request: Any, params: dict[str, str]) -> Response:
    started = time.perf_counter()
    request_id = request_id_of(request)
    ctx = RequestContext(
        request=request,
        request_id=request_id,
        spec=spec,
        headers={k.lower(): v for k, v in (request.headers or {}).items()},
    )
    # Every caller-specific key is set anew (None drops it), so no request inherits the last one's.
    logger.append_keys(request_id=request_id, org_id=None, key_id=None, route=f"{spec.method} {spec.path}")
    try:
        result = _run(spec, fn, ctx, params)
        response = _render(spec, ctx, result)
    except DomainError as exc:
        for error_hook in ERROR_HOOKS:
            try:
                error_hook(ctx, exc)
            except Exception:  # never mask the client's answer
                logger.exception("error hook failed")
        response = error_response(exc, request_id)
        response.headers.update({k: v for k, v in ctx.response_headers.items() if k not in response.headers})
    except Exception:  # a bug: never leak details, always the documented shape
        logger.exception("unhandled error")
        response = error_response(DomainError("Internal error; the request id identifies it."), request_id)
    logger.info(
        "request",
        extra={"status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
    )
    return response


def _run(spec: RouteSpec, fn: Callable[..., Any], ctx: RequestContext, params: dict[str, str]) -> Any:
    if spec.auth:
        ctx.principal = auth.authenticate(auth.bearer_token(ctx.headers))
        logger.append_keys(org_id=ctx.principal.org_id, key_id=ctx.principal.key_id)
        if spec.scope:
            ctx.principal.require(spec.scope)
        for hook in AFTER_AUTH_HOOKS:
            hook(ctx)
    args: list[Any] = [ctx]
    if spec.takes_body:
        args.append(_parse_body(spec, ctx))
    if spec.takes_query:
        args.append(_parse_query(spec, ctx))
    return fn(*args, **params)


def _parse_body(spec: RouteSpec, ctx: RequestContext) -> BaseModel:
    raw = ctx.request.raw_body or b""
    if len(raw) > spec.max_body:
        raise TooLarge(
            f"Request body of {len(raw)} bytes exceeds {spec.max_body} bytes for this endpoint."
            + (f" {spec.too_large_hint}" if spec.too_large_hint else ""),
            details={"limit": spec.max_body, "size": len(raw)},
        )
    content_type = (ctx.header("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedContentType("Send the request body as application/json.", details={"contentType": content_type})
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidInput("The request body is not valid JSON.", code="invalid_json", details={"reason": str(exc)[:200]}) from exc
    assert spec.body is not None
    return _validate(spec.body, data)


def _parse_query(spec: RouteSpec, ctx: RequestContext) -> BaseModel:
    assert spec.query is not None
    raw = ctx.request.query_params or {}
    return _validate(spec.query, dict(raw))


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        problems = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]} for e in errors]
        raise InvalidInput("The request failed validation.", code="validation_failed", details={"errors": problems}) from exc


def _render(spec: RouteSpec, ctx: RequestContext, result: Any) -> Response:
    status, extra = spec.status, {}
    if isinstance(result, Reply):
        status, extra, result = result.status or spec.status, result.headers, result.body
    if isinstance(result, Response):
        result.headers = {"X-Request-Id": ctx.request_id, **ctx.response_headers, **(result.headers or {})}
        return result
    if hasattr(result, "model_dump"):  # a pydantic model (duck-typed: pydantic may not be loaded)
        result = result.model_dump(mode="json", by_alias=True)
    if os.environ.get(CHECK_REPLIES_ENV) == "1":
        check_reply(spec, status, result)
    headers = {"Content-Type": "application/json", "X-Request-Id": ctx.request_id, **ctx.response_headers, **extra}
    body = "" if result is None and status == 204 else json.dumps(result)
    return Response(body=body, status_code=status, headers=headers)


def check_reply(spec: RouteSpec, status: int, body: Any) -> None:
    """ReplyMismatch unless ``body`` (as sent) is what the route's model publishes: every field known,
    every required one there, every value of its type. A 204 has no body; a route without a model
    may only answer 204."""
    model = spec.response
    if status == 204:
        if body is not None:
            raise ReplyMismatch(f"{spec.method} {spec.path}: a 204 with a body")
        return
    if model is None:
        raise ReplyMismatch(f"{spec.method} {spec.path} answered {status} with a body but declares no reply model")
    from pydantic import ValidationError

    try:
        model.model_validate(json.loads(json.dumps(body)))
    except ValidationError as exc:
        raise ReplyMismatch(f"{spec.method} {spec.path}: the reply does not match {model.__name__}: {exc}") from exc


def request_id_of(request: Any) -> str:
    """The request id API Gateway gave this request (a fresh one when there is none)."""
    context = getattr(request, "context", None) or {}
    rid = context.get("requestId") if isinstance(context, dict) else None
    return str(rid) if rid else str(uuid.uuid4())
