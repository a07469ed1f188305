"""Project settings (base branch and quality gate), a run's comparison with its baseline, and one
commit across the three tools."""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.errors import InvalidInput
from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

compare = lazy_module("chalicelib.services.compare.service")
fields = lazy_module("chalicelib.models.fields")
upload_types = lazy_module("chalicelib.services.upload_types")
models = lazy_module("chalicelib.models.projects")

bp = Blueprint(__name__)


def _project(project_id: str) -> str:
    if not re.match(fields.PROJECT_ID_PATTERN, project_id) or ".." in project_id or len(project_id) > fields.PROJECT_ID_MAX:
        raise InvalidInput("Not a project id.", code="invalid_project", details={"projectId": project_id[:130]})
    return project_id


@route(bp, "/v1/projects/{projectId}", summary="A project's base branch and quality gate", scope="runs:read", tags=("projects",), errors=(400,))
def get_project(ctx: RequestContext, projectId: str) -> models.ProjectSettings:
    return compare.project_settings(ctx.org_id, _project(projectId))


@route(bp, "/v1/projects/{projectId}", "PUT", summary="Set a project's base branch and quality gate "
       "(projects:admin or keys:admin)", tags=("projects",), errors=(400, 403))
def put_project(ctx: RequestContext, body: models.ProjectSettingsBody, projectId: str) -> models.ProjectSettings:
    assert ctx.principal is not None
    return compare.put_project_settings(ctx.principal, _project(projectId), body.model_dump(by_alias=True))


@route(bp, "/v1/runs/{product}/{runId}/compare", summary="A run against its baseline: new and fixed, paged",
       scope="runs:read", tags=("runs",), errors=(400, 404))
def compare_run(ctx: RequestContext, query: models.CompareQuery, product: str, runId: str) -> models.Comparison:
    upload_types.check_product(product)
    return compare.compare(ctx.org_id, product, runId, base=query.base, page=query.page, page_size=query.page_size)


@route(bp, "/v1/commits/{commit}", summary="One commit across Insight, Autopilot and Guardian, with each gate",
       scope="runs:read",
       tags=("runs",), errors=(400,))
def commit_runs(ctx: RequestContext, query: models.CommitQuery, commit: str) -> models.CommitView:
    if not re.match(r"^[0-9a-fA-F]{7,64}$", commit):
        raise InvalidInput("Not a commit id.", code="invalid_commit", details={"commit": commit[:70]})
    return compare.commit_view(ctx.org_id, _project(query.project_id), commit)
