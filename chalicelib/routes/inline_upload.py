"""The inline upload door: one JSON result of Insight, Autopilot or Guardian per request."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.services.decoding import max_body_bytes
from chalicelib.web import Reply, RequestContext, route

idempotency = lazy_module("chalicelib.services.idempotency")
inline = lazy_module("chalicelib.services.ingest.inline")
upload_types = lazy_module("chalicelib.services.upload_types")
models = lazy_module("chalicelib.models.inline_upload")

bp = Blueprint(__name__)


@route(bp, "/v1/upload/{product}", "POST", summary="Upload one JSON result inline (≤ 5 MiB on the wire, "
       "≤ 8 MiB of JSON decompressed; larger or binary files go through /v1/uploads). Needs <product>:write.", status=201, tags=("uploads",),
       max_body=max_body_bytes(), errors=(403, 409, 413, 415),
       too_large_hint="Upload large files through POST /v1/uploads.")
def upload_inline(ctx: RequestContext, body: models.InlineUploadRequest, product: str) -> Reply[models.UploadReply]:
    upload_types.check_product(product)
    assert ctx.principal is not None
    ctx.principal.require(f"{product}:write")
    key = idempotency.check_key(ctx.header("idempotency-key"))
    build = body.build.model_dump(by_alias=True, exclude_none=True) if body.build else None
    result = inline.ingest_inline(ctx.org_id, ctx.principal.plan, product, body.type, body.project_id, body.metadata,
                                  body.data, body.compressed, body.sha256, key, build=build,
                                  line_hashes=body.line_hashes)
    headers = {} if result.created else {"Idempotent-Replayed": "true"}
    return Reply(models.UploadReply(**result.reply()).model_dump(mode="json", by_alias=True, exclude_none=True),
                 status=201, headers=headers)
