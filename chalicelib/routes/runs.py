"""Reading runs back: list with filters, cursor pages and stats; one run with paged items and
download links; cascade delete. Another organization's run is 404 everywhere."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.models.runs import DeletedRun, RunDetail, RunDetailQuery, RunList, RunListQuery
from chalicelib.services import runs
from chalicelib.web import RequestContext, route

bp = Blueprint(__name__)


@route(bp, "/v1/runs/{product}", summary="List runs newest first, filtered, with stats of the filtered set",
       scope="runs:read", query=RunListQuery, response=RunList, tags=("runs",))
def list_runs(ctx: RequestContext, query: RunListQuery, product: str) -> RunList:
    page = runs.list_runs(
        ctx.org_id, product, project_id=query.project_id, status=query.status, environment=query.environment,
        passed=query.passed, upload_type=query.type, since=query.from_, until=query.to, cursor=query.cursor,
        limit=query.limit,
    )
    return RunList.model_validate(page)


@route(bp, "/v1/runs/{product}/{runId}", summary="One run: summary, paged issues/tests, attachment download URLs",
       scope="runs:read", query=RunDetailQuery, response=RunDetail, tags=("runs",))
def get_run(ctx: RequestContext, query: RunDetailQuery, product: str, runId: str) -> RunDetail:
    detail = runs.run_detail(ctx.org_id, product, runId, page=query.page, page_size=query.page_size, cursor=query.cursor)
    return RunDetail.model_validate(detail)


@route(bp, "/v1/runs/{product}/{runId}", "DELETE", summary="Delete a run, its payload and attachments only it uses",
       scope="runs:delete", response=DeletedRun, tags=("runs",))
def delete_run(ctx: RequestContext, product: str, runId: str) -> DeletedRun:
    freed = runs.delete_run(ctx.org_id, product, runId)
    return DeletedRun(run_id=runId, deleted=True, bytes_freed=freed)
