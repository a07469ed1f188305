"""The endpoint groups: which route modules each API Lambda function serves.

One table, read by ``app.py`` (every group in one app: ``chalice local``, ``make serve``, the
schedules and the ingest worker that ``chalice package`` finds there), by the entry modules of
``chalicelib.functions`` (one group per deployed function, so a cold start loads only that
group's routes) and by ``infra/package.py`` (which path goes to which function). A new route
module is listed here, in exactly one group; routes of an unlisted module fail the packaging.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from chalice import Blueprint, Chalice

APP_NAME = "odavl-cloud"

# group -> route modules (each exposes its Blueprint as ``bp``). "api" is the rest of the API.
GROUPS: dict[str, tuple[str, ...]] = {
    "upload": ("chalicelib.routes.inline_upload", "chalicelib.routes.large_upload"),
    "usage": ("chalicelib.routes.usage",),
    "storage": ("chalicelib.routes.storage",),
    "api": ("chalicelib.routes.meta", "chalicelib.routes.keys", "chalicelib.routes.runs", "chalicelib.routes.jobs",
            "chalicelib.routes.projects", "chalicelib.dashboard"),
}
# Listed before they exist: served by their group as soon as the module exposes ``bp``.
OPTIONAL = frozenset({"chalicelib.dashboard"})
# Modules with event handlers only (schedules): in the whole app, in no HTTP group.
EVENT_MODULES: tuple[str, ...] = ("chalicelib.routes.maintenance",)

# group -> the logical id of its function in the packaged template (APIHandler: the one Chalice makes).
FUNCTIONS: dict[str, str] = {
    "upload": "UploadHandler",
    "usage": "UsageHandler",
    "storage": "StorageHandler",
    "api": "APIHandler",
}


def entry(group: str) -> str:
    """The Lambda handler string of ``group``'s function."""
    if group not in GROUPS:
        raise KeyError(f"no endpoint group {group!r}")
    return f"chalicelib.functions.{group}.app"


def group_of_module(module: str) -> str | None:
    """The group whose listed module is ``module`` or a package holding it."""
    for group, modules in GROUPS.items():
        if any(module == m or module.startswith(m + ".") for m in modules):
            return group
    return None


def _blueprint(module_name: str) -> Blueprint | None:
    if module_name in OPTIONAL and importlib.util.find_spec(module_name) is None:
        return None
    bp = getattr(importlib.import_module(module_name), "bp", None)
    if isinstance(bp, Blueprint):
        return bp
    if module_name in OPTIONAL:
        return None
    raise TypeError(f"{module_name} has no Blueprint 'bp'")


def blueprints(*groups: str, events: bool = False) -> list[Blueprint]:
    """The blueprints of ``groups`` (every group when none is named), then the event-only ones."""
    names = [m for g in (groups or tuple(GROUPS)) for m in GROUPS[g]] + (list(EVENT_MODULES) if events else [])
    return [bp for bp in map(_blueprint, names) if bp is not None]


def import_all() -> None:
    """Import every route module, so the route registry (the OpenAPI document) covers every
    group, whichever function is asking."""
    for modules in GROUPS.values():
        for name in modules:
            _blueprint(name)


def build(*groups: str) -> Chalice:
    """A Chalice app serving ``groups`` (every group, the schedules and the worker when none is named)."""
    from chalicelib.services.usage.api_calls import give_back_refused, meter_request
    from chalicelib.web.envelope import error_envelope
    from chalicelib.web.route import AFTER_AUTH_HOOKS, ERROR_HOOKS

    app = Chalice(app_name=APP_NAME)
    app.register_middleware(_unknown_route(app), "http")
    for bp in blueprints(*groups, events=not groups):
        app.register_blueprint(bp)
    if error_envelope not in [func for func, _ in app.middleware_handlers]:
        app.register_middleware(error_envelope, "http")  # Chalice's own 405/415 in the documented shape
    # metering counts every authenticated request, whichever function serves it
    if meter_request not in AFTER_AUTH_HOOKS:
        AFTER_AUTH_HOOKS.append(meter_request)
    if give_back_refused not in ERROR_HOOKS:
        ERROR_HOOKS.append(give_back_refused)
    return app


def _unknown_route(app: Chalice) -> Any:
    """Middleware: a path this app does not serve (another group's) is a 404 in the documented shape,
    not Chalice's 405."""
    from chalicelib.errors import NotFound
    from chalicelib.web.route import error_response, request_id_of

    def middleware(event: Any, get_response: Any) -> Any:
        context = getattr(event, "context", None) or {}
        path = context.get("resourcePath") if isinstance(context, dict) else None
        if path is not None and not app.routes.get(path):
            return error_response(NotFound("No such route: see /v1/openapi.json.", details={"path": path}),
                                  request_id_of(event))
        return get_response(event)

    return middleware
