"""Health, identity and the OpenAPI document."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import clock, groups
from chalicelib.config import get_settings
from chalicelib.lazy import lazy_module
from chalicelib.version import VERSION
from chalicelib.web import RequestContext, route
from chalicelib.web.envelope import error_envelope

models = lazy_module("chalicelib.models.keys")
meta_models = lazy_module("chalicelib.models.meta")
openapi_document = lazy_module("chalicelib.web.openapi")

bp = Blueprint(__name__)
bp.register_middleware(error_envelope, "http")  # Chalice's own 405/415 answers in the documented shape


@route(bp, "/v1/health", summary="Liveness (no authentication)", auth_required=False, tags=("meta",), metered=False)
def health(ctx: RequestContext) -> meta_models.Health:
    # The Health shape as a plain dict: a liveness probe must not wait for the validation stack to load.
    return {"status": "ok", "stage": get_settings().stage, "version": VERSION, "time": clock.iso()}


@route(bp, "/v1/whoami", summary="The organization, key, scopes and plan behind the API key", tags=("meta",),
       free=True)
def whoami(ctx: RequestContext) -> models.WhoAmI:
    p = ctx.principal
    assert p is not None
    return models.WhoAmI(
        organization_id=p.org_id, organization_name=p.org_name, key_id=p.key_id,
        key_name=p.key_name, scopes=sorted(p.scopes), plan=p.plan,
    )


@route(bp, "/v1/openapi.json", summary="This API's OpenAPI 3.1 document", auth_required=False, tags=("meta",), metered=False)
def openapi(ctx: RequestContext) -> meta_models.OpenApiDocument:
    groups.import_all()  # every function's routes, not only those this function serves
    return openapi_document.build_document(VERSION)
