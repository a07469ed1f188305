"""The large/binary upload door: sessions that send bytes straight to S3 (presigned POST or
multipart parts), then verify and record them, or queue their ingest."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import Reply, RequestContext, route

completion = lazy_module("chalicelib.services.uploads.completion")
sessions = lazy_module("chalicelib.services.uploads.sessions")
files = lazy_module("chalicelib.services.files")
models = lazy_module("chalicelib.models.large_upload")

bp = Blueprint(__name__)


@route(bp, "/v1/uploads", "POST", summary="Start a large or binary upload (or learn it is already stored)", status=201, tags=("uploads",),
       errors=(400, 403, 415, 429))
def create_upload(ctx: RequestContext, body: models.CreateUploadRequest) -> Reply[models.UploadInstructions]:
    assert ctx.principal is not None
    sessions.authorize(ctx.principal, body.product)
    status, answer = sessions.start(ctx.org_id, ctx.principal.plan, body.model_dump(by_alias=True))
    return Reply(answer, status=status)


@route(bp, "/v1/uploads/{uploadId}", summary="An upload session: parts S3 already holds, fresh URLs for the rest", tags=("uploads",), errors=(404,))
def get_upload(ctx: RequestContext, uploadId: str) -> models.UploadInstructions:
    assert ctx.principal is not None
    return sessions.describe(sessions.open_for(ctx.principal, uploadId))


@route(bp, "/v1/uploads/{uploadId}/complete", "POST", summary="Complete, verify and record an upload", tags=("uploads",), errors=(400, 404, 409, 415, 429))
def complete_upload(ctx: RequestContext, body: models.CompleteUploadRequest, uploadId: str) -> Reply[models.UploadCompleted]:
    assert ctx.principal is not None
    session = sessions.open_for(ctx.principal, uploadId)
    parts = [p.model_dump(by_alias=True) for p in body.parts] if body.parts else None
    if session.get("kind") == sessions.FILE:  # a storage file seen through this door records a file
        status, answer = files.complete_session(session, ctx.principal.plan)
    else:
        status, answer = completion.complete(session, ctx.principal.plan, parts)
    return Reply(answer, status=status)


@route(bp, "/v1/uploads/{uploadId}", "DELETE", summary="Abort an upload session", status=204,
       tags=("uploads",), errors=(404, 409))
def abort_upload(ctx: RequestContext, uploadId: str) -> Reply:
    assert ctx.principal is not None
    sessions.abort(sessions.open_for(ctx.principal, uploadId))
    return Reply(None, status=204)
