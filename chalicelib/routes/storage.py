"""Generic file storage: presigned upload and download, listing, stats, deletion."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import Reply, RequestContext, route

files = lazy_module("chalicelib.services.files")
models = lazy_module("chalicelib.models.storage")

bp = Blueprint(__name__)


def _plan(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.plan


@route(bp, "/v1/storage/upload-url", "POST", summary="A presigned POST for one file (quota checked first)",
       scope="storage:write", status=201, tags=("storage",),
       errors=(400, 403, 415, 429))
def create_upload_url(ctx: RequestContext, body: models.UploadUrlRequest) -> Reply[models.UploadUrl]:
    return Reply(files.create_upload_url(ctx.org_id, _plan(ctx), body.model_dump(by_alias=True)), status=201)


@route(bp, "/v1/storage/files/{fileId}/complete", "POST", summary="Verify an uploaded file and record it",
       scope="storage:write", tags=("storage",), errors=(400, 404, 409, 415, 429))
def complete_file(ctx: RequestContext, fileId: str) -> Reply[models.CompletedFile]:
    status, answer = files.complete(ctx.org_id, _plan(ctx), fileId)
    return Reply(answer, status=status)


@route(bp, "/v1/storage/files", summary="List stored files, newest first (expired files never appear)",
       scope="storage:read", tags=("storage",), errors=(400,))
def list_files(ctx: RequestContext, query: models.ListFilesQuery) -> models.FileList:
    items, cursor = files.list_files(ctx.org_id, product=query.product, content_type=query.content_type,
                                     prefix=query.prefix, limit=query.limit, cursor=query.cursor)
    return {"items": items, "nextCursor": cursor}


@route(bp, "/v1/storage/files/{fileId}/download-url", summary="A short-lived download URL (counts the download)",
       scope="storage:read", tags=("storage",), errors=(400, 404))
def download_url(ctx: RequestContext, query: models.DownloadQuery, fileId: str) -> models.DownloadUrl:
    return files.download_url(ctx.org_id, fileId, query.expires_in)


@route(bp, "/v1/storage/files/{fileId}", "DELETE", summary="Delete a file (object and record)",
       scope="storage:write", status=204, tags=("storage",), errors=(404,))
def delete_file(ctx: RequestContext, fileId: str) -> Reply:
    files.delete_file(ctx.org_id, fileId)
    return Reply(None, status=204)


@route(bp, "/v1/storage/stats", summary="Stored bytes and files, by content type, against the plan's limit",
       scope="storage:read", tags=("storage",))
def storage_stats(ctx: RequestContext) -> models.StorageStats:
    return files.stats(ctx.org_id, _plan(ctx))
