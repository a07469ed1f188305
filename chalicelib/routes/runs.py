"""Reading runs back: list with filters, cursor pages and stats; one run with paged items and
download links; cascade delete. Another organization's run is 404 everywhere."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

runs = lazy_module("chalicelib.services.runs")
models = lazy_module("chalicelib.models.runs")

bp = Blueprint(__name__)


@route(bp, "/v1/runs/{product}", summary="List runs newest first, filtered, with stats of the filtered set",
       scope="runs:read", tags=("runs",))
def list_runs(ctx: RequestContext, query: models.RunListQuery, product: str) -> models.RunList:
    page = runs.list_runs(
        ctx.org_id, product, project_id=query.project_id, status=query.status, environment=query.environment,
        passed=query.passed, upload_type=query.type, since=query.from_, until=query.to, cursor=query.cursor,
        limit=query.limit, branch=query.branch, commit=query.commit,
    )
    return models.RunList.model_validate(page)


@route(bp, "/v1/runs/{product}/{runId}", summary="One run: summary, paged issues/tests, attachment download URLs",
       scope="runs:read", tags=("runs",))
def get_run(ctx: RequestContext, query: models.RunDetailQuery, product: str, runId: str) -> models.RunDetail:
    detail = runs.run_detail(ctx.org_id, product, runId, page=query.page, page_size=query.page_size, cursor=query.cursor,
                             filters={"severity": query.severity, "file": query.file, "rule": query.rule,
                                      "status": query.status})
    return models.RunDetail.model_validate(detail)


@route(bp, "/v1/runs/{product}/{runId}", "DELETE", summary="Delete a run, its payload and attachments only it uses",
       scope="runs:delete", tags=("runs",))
def delete_run(ctx: RequestContext, product: str, runId: str) -> models.DeletedRun:
    freed = runs.delete_run(ctx.org_id, product, runId)
    return models.DeletedRun(run_id=runId, deleted=True, bytes_freed=freed)
