"""The inline upload door: one JSON result of Insight, Autopilot or Guardian per request."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.models.payloads import check_product
from chalicelib.models.uploads import InlineUploadRequest, UploadReply
from chalicelib.services import idempotency
from chalicelib.services.ingest.inline import ingest_inline, max_body_bytes
from chalicelib.web import Reply, RequestContext, route

bp = Blueprint(__name__)


@route(bp, "/v1/upload/{product}", "POST", summary="Upload one JSON result inline (≤ 5 MiB on the wire; "
       "larger or binary files go through /v1/uploads). Needs <product>:write.",
       body=InlineUploadRequest, response=UploadReply, status=201, tags=("uploads",),
       max_body=max_body_bytes(), errors=(403, 409, 413, 415),
       too_large_hint="Upload large files through POST /v1/uploads.")
def upload_inline(ctx: RequestContext, body: InlineUploadRequest, product: str) -> Reply:
    check_product(product)
    assert ctx.principal is not None
    ctx.principal.require(f"{product}:write")
    key = idempotency.check_key(ctx.header("idempotency-key"))
    result = ingest_inline(ctx.org_id, ctx.principal.plan, product, body.type, body.project_id, body.metadata,
                           body.data, body.compressed, body.sha256, key)
    headers = {} if result.created else {"Idempotent-Replayed": "true"}
    return Reply(UploadReply(**result.reply()).model_dump(mode="json", by_alias=True, exclude_none=True),
                 status=201, headers=headers)
