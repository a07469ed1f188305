"""The dashboard's routes: the HTML pages under /dashboard and the API route that makes one-time
sign-in links. Only Chalice and the lazy proxies load here; a page's first request loads the rest."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

views = lazy_module("chalicelib.dashboard.views")
pages = lazy_module("chalicelib.dashboard.pages")
models = lazy_module("chalicelib.dashboard.models")

bp = Blueprint(__name__)
FORMS = ["application/x-www-form-urlencoded", "multipart/form-data"]


def _page(view: str, **params: Any) -> Response:
    return pages.handle(bp.current_request, view, params)


@bp.route("/dashboard", methods=["GET"])
def dashboard_overview() -> Response:
    return _page("overview")


@bp.route("/dashboard/login", methods=["GET"])
def dashboard_login_form() -> Response:
    return _page("login_form")


@bp.route("/dashboard/login", methods=["POST"], content_types=FORMS)
def dashboard_login() -> Response:
    return _page("login")


@bp.route("/dashboard/login/{token}", methods=["GET"])
def dashboard_login_link(token: str) -> Response:
    return _page("login_link", token=token)


@bp.route("/dashboard/logout", methods=["POST"], content_types=FORMS)
def dashboard_logout() -> Response:
    return _page("logout")


@bp.route("/dashboard/static/{name}", methods=["GET"])
def dashboard_static(name: str) -> Response:
    return _page("static", name=name)


@bp.route("/dashboard/usage", methods=["GET"])
def dashboard_usage() -> Response:
    return _page("usage")


@bp.route("/dashboard/keys", methods=["GET"])
def dashboard_keys() -> Response:
    return _page("keys")


@bp.route("/dashboard/keys", methods=["POST"], content_types=FORMS)
def dashboard_create_key() -> Response:
    return _page("create_key")


@bp.route("/dashboard/keys/{keyId}/revoke", methods=["GET"])
def dashboard_revoke_form(keyId: str) -> Response:
    return _page("revoke_form", key_id=keyId)


@bp.route("/dashboard/keys/{keyId}/revoke", methods=["POST"], content_types=FORMS)
def dashboard_revoke_key(keyId: str) -> Response:
    return _page("revoke_key", key_id=keyId)


@bp.route("/dashboard/storage", methods=["GET"])
def dashboard_storage() -> Response:
    return _page("storage")


@bp.route("/dashboard/storage/{fileId}/download", methods=["POST"], content_types=FORMS)
def dashboard_download_file(fileId: str) -> Response:
    return _page("download_file", file_id=fileId)


@bp.route("/dashboard/storage/{fileId}/delete", methods=["GET"])
def dashboard_delete_form(fileId: str) -> Response:
    return _page("delete_form", file_id=fileId)


@bp.route("/dashboard/storage/{fileId}/delete", methods=["POST"], content_types=FORMS)
def dashboard_delete_file(fileId: str) -> Response:
    return _page("delete_file", file_id=fileId)


@bp.route("/dashboard/jobs", methods=["GET"])
def dashboard_jobs() -> Response:
    return _page("jobs")


@bp.route("/dashboard/jobs/{jobId}", methods=["GET"])
def dashboard_job(jobId: str) -> Response:
    return _page("job", job_id=jobId)


@bp.route("/dashboard/jobs/{jobId}/retry", methods=["POST"], content_types=FORMS)
def dashboard_retry_job(jobId: str) -> Response:
    return _page("retry_job", job_id=jobId)


@bp.route("/dashboard/jobs/{jobId}/cancel", methods=["POST"], content_types=FORMS)
def dashboard_cancel_job(jobId: str) -> Response:
    return _page("cancel_job", job_id=jobId)


@bp.route("/dashboard/commits/{commit}", methods=["GET"])
def dashboard_commit(commit: str) -> Response:
    return _page("commit", sha=commit)


@bp.route("/dashboard/{product}/runs", methods=["GET"])
def dashboard_runs(product: str) -> Response:
    return _page("runs", product=product)


@bp.route("/dashboard/{product}/runs/{runId}", methods=["GET"])
def dashboard_run(product: str, runId: str) -> Response:
    return _page("run", product=product, run_id=runId)


@bp.route("/dashboard/{product}/runs/{runId}/screenshots/{sha256}", methods=["GET"])
def dashboard_screenshot(product: str, runId: str, sha256: str) -> Response:
    return _page("screenshot", product=product, run_id=runId, sha256=sha256)


@route(bp, "/v1/dashboard/login-links", "POST", summary="A one-time dashboard sign-in link for this API key (single use, 5 minutes)",
       status=201, tags=("dashboard",), metered=False)
def create_login_link(ctx: RequestContext, body: models.LoginLinkRequest) -> models.LoginLink:
    assert ctx.principal is not None
    return models.LoginLink.model_validate(views.login_link_for(ctx.principal, body.next))
