"""Project settings (base branch and quality gate), a run's comparison with its baseline, and one
commit across the three tools."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

if TYPE_CHECKING:
    from chalicelib.models.projects import (CommitQuery, CommitView, CompareQuery, Comparison, ProjectSettings,
                                            ProjectSettingsBody)

compare = lazy_module("chalicelib.services.compare.service")
fields = lazy_module("chalicelib.models.fields")
payloads = lazy_module("chalicelib.models.payloads")

bp = Blueprint(__name__)
ADMIN_SCOPES = ("projects:admin", "keys:admin")


def _project(project_id: str) -> str:
    if not re.match(fields.PROJECT_ID_PATTERN, project_id) or ".." in project_id or len(project_id) > fields.PROJECT_ID_MAX:
        raise InvalidInput("Not a project id.", code="invalid_project", details={"projectId": project_id[:130]})
    return project_id


@route(bp, "/v1/projects/{projectId}", summary="A project's base branch and quality gate", scope="runs:read",
       response="chalicelib.models.projects:ProjectSettings", tags=("projects",), errors=(400,))
def get_project(ctx: RequestContext, projectId: str) -> ProjectSettings:
    return compare.project_settings(ctx.org_id, _project(projectId))


@route(bp, "/v1/projects/{projectId}", "PUT", summary="Set a project's base branch and quality gate "
       "(projects:admin or keys:admin)", body="chalicelib.models.projects:ProjectSettingsBody",
       response="chalicelib.models.projects:ProjectSettings", tags=("projects",), errors=(400, 403))
def put_project(ctx: RequestContext, body: ProjectSettingsBody, projectId: str) -> ProjectSettings:
    assert ctx.principal is not None
    if not any(s in ctx.principal.scopes for s in ADMIN_SCOPES):
        raise Forbidden("Changing a project's settings needs projects:admin or keys:admin.", code="missing_scope",
                        details={"required": list(ADMIN_SCOPES)})
    settings = body.model_dump(by_alias=True)
    return compare.put_project_settings(ctx.org_id, _project(projectId), settings)


@route(bp, "/v1/runs/{product}/{runId}/compare", summary="A run against its baseline: new and fixed, paged",
       scope="runs:read", query="chalicelib.models.projects:CompareQuery",
       response="chalicelib.models.projects:Comparison", tags=("runs",), errors=(400, 404))
def compare_run(ctx: RequestContext, query: CompareQuery, product: str, runId: str) -> Comparison:
    payloads.check_product(product)
    return compare.compare(ctx.org_id, product, runId, base=query.base, page=query.page, page_size=query.page_size)


@route(bp, "/v1/commits/{commit}", summary="One commit across Insight, Autopilot and Guardian, with each gate",
       scope="runs:read", query="chalicelib.models.projects:CommitQuery", response="chalicelib.models.projects:CommitView",
       tags=("runs",), errors=(400,))
def commit_runs(ctx: RequestContext, query: CommitQuery, commit: str) -> CommitView:
    if not re.match(r"^[0-9a-fA-F]{7,64}$", commit):
        raise InvalidInput("Not a commit id.", code="invalid_commit", details={"commit": commit[:70]})
    return compare.commit_view(ctx.org_id, _project(query.project_id), commit)
