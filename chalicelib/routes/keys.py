"""API key management: create (secret shown once), list, revoke."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import Reply, RequestContext, route

keys = lazy_module("chalicelib.services.keys")
models = lazy_module("chalicelib.models.keys")

bp = Blueprint(__name__)


@route(bp, "/v1/api-keys", "POST", summary="Create an API key (the secret is shown once)", scope="keys:admin", status=201, tags=("keys",))
def create_api_key(ctx: RequestContext, body: models.CreateKeyRequest) -> models.CreatedKey:
    view, plaintext = keys.create_key(ctx.org_id, body.name, body.scopes, body.expires_at, created_by=ctx.principal)
    return models.CreatedKey(**view, key=plaintext)


@route(bp, "/v1/api-keys", summary="List the organization's API keys (never their secrets)", scope="keys:admin", tags=("keys",))
def list_api_keys(ctx: RequestContext) -> models.KeyList:
    return models.KeyList(items=[models.ApiKeyView(**item) for item in keys.list_keys(ctx.org_id)])


@route(bp, "/v1/api-keys/{keyId}", "DELETE", summary="Revoke an API key (effective on its next request)",
       scope="keys:admin", status=204, tags=("keys",))
def revoke_api_key(ctx: RequestContext, keyId: str) -> Reply:
    keys.revoke_key(ctx.org_id, keyId)
    return Reply(None, status=204)
