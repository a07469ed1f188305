"""Health, identity and the OpenAPI document."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.models.keys import Health, WhoAmI
from chalicelib.version import VERSION
from chalicelib.web import RequestContext, route
from chalicelib.web.openapi import build_document

bp = Blueprint(__name__)


@route(bp, "/v1/health", summary="Liveness (no authentication)", auth_required=False, response=Health, tags=("meta",), metered=False)
def health(ctx: RequestContext) -> Health:
    return Health(status="ok", stage=get_settings().stage, version=VERSION, time=clock.iso())


@route(bp, "/v1/whoami", summary="The organization, key, scopes and plan behind the API key", response=WhoAmI, tags=("meta",))
def whoami(ctx: RequestContext) -> WhoAmI:
    p = ctx.principal
    assert p is not None
    return WhoAmI(
        organization_id=p.org_id, organization_name=p.org_name, key_id=p.key_id,
        key_name=p.key_name, scopes=sorted(p.scopes), plan=p.plan,
    )


@route(bp, "/v1/openapi.json", summary="This API's OpenAPI 3.1 document", auth_required=False, tags=("meta",), metered=False)
def openapi(ctx: RequestContext) -> dict:
    return build_document(VERSION)
