"""The account pages: usage against the plan, API keys, stored files and ingest jobs.

Every change is a POST that passes ``_change``: a signed-in session, a request from the dashboard's own
origin (Origin, else Referer) and the session's CSRF token; anything else is a 403 page and changes
nothing. Each page and action asks for the same scope as the API route of the same operation."""
from __future__ import annotations

import re
from datetime import datetime, time, timezone
from typing import Any
from urllib.parse import parse_qs

from chalice import Response
from pydantic import ValidationError

from chalicelib import clock
from chalicelib.dashboard import charts, render
from chalicelib.dashboard import session as sessions
from chalicelib.dashboard.views import Ctx, _cap, _need, _origin_of, _signed_in, foreign_origin
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.web.errors import status_of
from chalicelib.logs import logger
from chalicelib.services import files as file_service
from chalicelib.services import jobs as job_service
from chalicelib.services import keys as key_service
from chalicelib.plans import Metric
from chalicelib.services.scopes import ALL_SCOPES, DEFAULT_SCOPES
from chalicelib.services.usage import report

METRIC_NAMES = {"api_calls": "API calls", "storage_bytes": "Storage", "insight_analyses": "Insight analyses",
                "autopilot_runs": "Autopilot runs", "guardian_tests": "Guardian test runs"}
SHORT_NAMES = {"api_calls": "API calls", "insight_analyses": "Insight", "autopilot_runs": "Autopilot",
               "guardian_tests": "Guardian"}  # the chart's legend is narrow
WARNING_WORDS = {80: "80 % used: nearing the limit", 90: "90 % used: almost at the limit",
                 100: "Quota reached: new uploads of this kind are refused until the reset"}
HISTORY_MONTHS = 12
FILES_PAGE = 25
JOBS_PAGE = 25
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_JOB_ID = re.compile(r"^[0-9a-f]{26}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- the guard of every change -----------------------------------------------------------------------

def _change(ctx: Ctx) -> tuple[dict[str, list[str]], Response | None]:
    """The posted form of a change, once the session, the origin and the CSRF token are checked.
    Returns (form, None), or ({}, a redirect to sign-in) when there is no session; raises Forbidden
    (a 403 page) for a foreign origin or a missing or wrong token."""
    redirect = _signed_in(ctx)
    if redirect is not None:
        return {}, redirect
    if foreign_origin(ctx):
        logger.warning("dashboard change refused: origin", extra={"origin": (_origin_of(ctx) or "")[:100]})
        raise Forbidden("This form was not sent from the dashboard's own pages, so nothing was changed. "
                        "Open the page again and use its button.")
    form = _form_lists(ctx)
    assert ctx.session is not None
    if not sessions.csrf_ok(ctx.session, _one(form, "csrf")):
        logger.warning("dashboard change refused: csrf token")
        raise Forbidden("The form's security token is missing or not this session's, so nothing was changed. "
                        "Reload the page and try again.")
    return form, None


def _form_lists(ctx: Ctx) -> dict[str, list[str]]:
    """The form with every value of repeated fields (the scopes of a new key)."""
    raw = ctx.request.raw_body or b""
    if len(raw) > 16 * 1024:
        raise InvalidInput("The form is too large.")
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=40)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("The form could not be read.") from exc


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _org(ctx: Ctx) -> str:
    assert ctx.principal is not None
    return ctx.principal.org_id


def _has(ctx: Ctx, scope: str) -> bool:
    assert ctx.principal is not None
    return scope in ctx.principal.scopes


# ---- formatting ---------------------------------------------------------------------------------------

size = render.size

def _amount(metric: str, value: Any) -> str:
    if value is None:
        return "unlimited"
    return size(value) if metric == Metric.STORAGE_BYTES.value else f"{int(value):,}"


# ---- usage --------------------------------------------------------------------------------------------

def _bar(metric: str, m: dict[str, Any]) -> dict[str, Any]:
    limit, used, warning = m.get("limit"), int(m.get("used") or 0), m.get("warning")
    percent = m.get("percent")
    level = f"w{warning}" if warning else ("unlimited" if limit is None else "ok")
    filled = 0.0 if limit is None else max(0.0, min(100.0, float(percent or 0)))
    label = (f"{METRIC_NAMES.get(metric, metric)}: {_amount(metric, used)} used"
             + ("" if limit is None else f" of {_amount(metric, limit)} ({percent:g} %)"))
    if warning:
        label += f". {WARNING_WORDS[warning]}"
    return {"metric": metric, "name": METRIC_NAMES.get(metric, metric), "used": _amount(metric, used),
            "limit": _amount(metric, limit), "remaining": _amount(metric, m.get("remaining")) if limit is not None else None,
            "percent": percent, "warning": warning, "warning_text": WARNING_WORDS.get(warning or 0), "level": level,
            "svg": charts.bar(filled, level, label), "raw": m}


def usage(ctx: Ctx) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "usage:read")
    assert ctx.principal is not None
    now = report.current(ctx.principal.org_id, ctx.principal.plan)
    order = ["api_calls", "storage_bytes", "insight_analyses", "autopilot_runs", "guardian_tests"]
    metrics = now["metrics"]
    bars = [_bar(name, metrics[name]) for name in order if name in metrics]
    bars += [_bar(name, m) for name, m in metrics.items() if name not in order]
    past = report.history(ctx.principal.org_id, ctx.principal.plan, HISTORY_MONTHS)["items"]
    months = list(reversed(past))  # oldest first, as the chart reads
    monthly = [n for n in order if n != "storage_bytes"]
    series = [charts.Series(SHORT_NAMES[n], [float((p.get("metrics") or {}).get(n, 0)) for p in months]) for n in monthly]
    chart = charts.line_chart("usage-history", "Usage per month", [p["period"] for p in months], series,
                              noun="months") if months else None
    rows = [{"period": p["period"], "current": p["current"], "closed": p["closed"], "plan": p.get("plan") or "—",
             "values": [(p.get("metrics") or {}).get(n, 0) for n in monthly],
             "limits": [(p.get("limits") or {}).get(n) for n in monthly]} for p in past]
    reached = [b for b in bars if b["warning"] == 100]
    return ctx.page("usage.html", bars=bars, plan=now["plan"], period=now["period"], resets_at=now["resets_at"],
                    chart=chart, rows=rows, columns=[METRIC_NAMES[n] for n in monthly], reached=reached,
                    active="usage", title="Usage")


# ---- API keys -----------------------------------------------------------------------------------------

ADMIN = "keys:admin"


def _key_rows(ctx: Ctx) -> list[dict[str, Any]]:
    now = clock.iso()
    rows = []
    for k in key_service.list_keys(_org(ctx)):
        expired = bool(k.get("expiresAt")) and str(k["expiresAt"]) <= now
        state = "revoked" if k.get("revokedAt") else "expired" if expired else "active"
        rows.append({**k, "name": _cap(k.get("name"), 100), "state": state,
                     "mine": ctx.principal is not None and k["keyId"] == ctx.principal.key_id})
    active = [r for r in rows if r["state"] == "active"]
    rest = [r for r in rows if r["state"] != "active"]
    return sorted(active, key=lambda r: r["createdAt"], reverse=True) + sorted(rest, key=lambda r: r["createdAt"], reverse=True)


def _keys_page(ctx: Ctx, status: int = 200, problem: str | None = None, name: str = "",
               chosen: list[str] | None = None, expires: str = "") -> Response:
    assert ctx.principal is not None
    notice = None
    revoked = (ctx.query.get("revoked") or "")[:64]
    if revoked and _KEY_ID.match(revoked) and problem is None:
        notice = f"Key {revoked} is revoked: it is refused from its next request, and its dashboard sessions have ended."
    granted = ctx.principal.scopes
    scopes = [{"name": s, "granted": s in granted, "checked": s in (chosen if chosen is not None else DEFAULT_SCOPES)
               and s in granted} for s in ALL_SCOPES]
    return ctx.page("keys.html", status, rows=_key_rows(ctx), scopes=scopes, problem=problem, notice=notice,
                    name=name, expires=expires, today=clock.now().date().isoformat(), active="keys", title="API keys")


def keys(ctx: Ctx) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, ADMIN)
    return _keys_page(ctx)


def _expiry(text: str) -> datetime | None:
    """The end of the chosen UTC day (the key works through that day)."""
    if not text:
        return None
    if not _DAY.match(text):
        raise InvalidInput("The expiry must be a date (YYYY-MM-DD).")
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput("The expiry must be a date (YYYY-MM-DD).") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def create_key(ctx: Ctx) -> Response:
    form, redirect = _change(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, ADMIN)
    assert ctx.principal is not None
    from chalicelib.models.keys import CreateKeyRequest

    name, expires = _one(form, "name")[:300], _one(form, "expiresOn").strip()[:20]
    chosen = [s for s in form.get("scopes", []) if isinstance(s, str)][:32]
    try:
        body = CreateKeyRequest.model_validate({"name": name, "scopes": chosen})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "form"
        return _keys_page(ctx, 400, f"The key was not created: {where} {first.get('msg', 'is not valid')}.",
                          _cap(name, 100), chosen, expires)
    if not body.scopes:
        return _keys_page(ctx, 400, "The key was not created: choose at least one scope.", body.name, chosen, expires)
    try:
        view, secret = key_service.create_key(ctx.principal.org_id, body.name, body.scopes, _expiry(expires),
                                              created_by=ctx.principal)
    except (InvalidInput, Forbidden) as exc:
        return _keys_page(ctx, status_of(exc), f"The key was not created: {exc.message}", body.name, chosen, expires)
    logger.info("api key created from the dashboard", extra={"new_key_id": view["keyId"]})
    # The secret is in this response only: never stored, never logged, never shown again.
    return ctx.page("key_created.html", 201, key=view, secret=secret, active="keys", title="Key created")


def _key(ctx: Ctx, key_id: str) -> dict[str, Any]:
    if not _KEY_ID.match(key_id):
        raise NotFound("No such key.")
    found = next((k for k in key_service.list_keys(_org(ctx)) if k["keyId"] == key_id), None)
    if found is None:
        raise NotFound("No such key.")
    return found


def revoke_form(ctx: Ctx, key_id: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, ADMIN)
    found = _key(ctx, key_id)
    if found.get("revokedAt"):
        return _keys_page(ctx, 409, f"Key {key_id} is already revoked.")
    assert ctx.principal is not None
    mine = key_id == ctx.principal.key_id
    return ctx.page("confirm.html", action=render.url("keys", key_id, "revoke"), button="Revoke this key",
                    heading=f"Revoke the key “{_cap(found.get('name'), 100)}”?", cancel=render.url("keys"),
                    facts=[("Key", found["prefix"] + "…"), ("Scopes", ", ".join(found["scopes"])),
                           ("Last used", render.when(found.get("lastUsedAt")) if found.get("lastUsedAt") else "never")],
                    warning=("Every program using it is refused from its next request. This cannot be undone."
                             + (" It is the key you are signed in with: you will be signed out." if mine else "")),
                    active="keys", title="Revoke a key")


def revoke_key(ctx: Ctx, key_id: str) -> Response:
    _, redirect = _change(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, ADMIN)
    _key(ctx, key_id)
    try:
        key_service.revoke_key(_org(ctx), key_id)
    except Conflict as exc:
        if exc.code == "last_admin_key":
            return _keys_page(ctx, 409, "This key was not revoked: it is the organization's last active key with "
                              "keys:admin, and without it nobody could manage keys any more. Create another key "
                              "with keys:admin first, then revoke this one.")
        raise
    return render.redirect(render.url("keys", revoked=key_id), ctx.rid)


# ---- storage ------------------------------------------------------------------------------------------

def storage(ctx: Ctx) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "storage:read")
    assert ctx.principal is not None
    cursor = (ctx.query.get("cursor") or "").strip()[:64] or None
    items, next_cursor = file_service.list_files(ctx.principal.org_id, limit=FILES_PAGE, cursor=cursor)
    rows = [{**f, "name": _cap(f["fileName"], 200), "type": _cap(f["contentType"], 100), "size_text": size(f["size"])}
            for f in items]
    stats = file_service.stats(ctx.principal.org_id, ctx.principal.plan)
    used, files_b, att_b = int(stats["usedBytes"]), int(stats["totalBytes"]), int(stats["attachments"]["bytes"])
    payload_b = max(0, used - files_b - att_b)
    parts = [{"name": "Files", "bytes": files_b, "count": stats["fileCount"], "what": "what you stored here through "
              "odavl storage upload or POST /v1/storage/upload-url; listed below"},
             {"name": "Attachments", "bytes": att_b, "count": stats["attachments"]["count"], "what": "screenshots and "
              "other binary uploads of runs, stored once per content (an unchanged screenshot is not stored twice); "
              "they are shown on their runs and deleted with them"},
             {"name": "Run payloads", "bytes": payload_b, "count": None, "what": "the compressed results of every "
              "Insight, Autopilot and Guardian upload, kept for the plan's retention; deleted with their runs"}]
    deleted = (ctx.query.get("deleted") or "")[:40]
    notice = "The file was deleted: its record, its bytes in storage and its share of the quota." \
        if deleted and file_service.FILE_ID.match(deleted) else None
    return ctx.page("storage.html", rows=rows, stats=stats, parts=parts, used=size(used),
                    limit=size(stats["planLimitBytes"]) if stats["planLimitBytes"] is not None else "unlimited",
                    by_type=[(_cap(t, 100), v["count"], size(v["bytes"])) for t, v in stats["byContentType"].items()],
                    next_url=render.url("storage", cursor=next_cursor) if next_cursor else None,
                    first_url=render.url("storage") if cursor else None, notice=notice,
                    can_delete=_has(ctx, "storage:write"), active="storage", title="Storage")


def download_file(ctx: Ctx, file_id: str) -> Response:
    _, redirect = _change(ctx)  # a download counts: a change, so a POST with the token
    if redirect is not None:
        return redirect
    _need(ctx, "storage:read")
    answer = file_service.download_url(_org(ctx), file_id)
    return render.redirect(answer["url"], ctx.rid)


def delete_form(ctx: Ctx, file_id: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "storage:write")
    record = file_service.get_file(_org(ctx), file_id)
    return ctx.page("confirm.html", action=render.url("storage", file_id, "delete"), button="Delete this file",
                    heading=f"Delete the file “{_cap(record['fileName'], 200)}”?", cancel=render.url("storage"),
                    facts=[("Type", _cap(record["contentType"], 100)), ("Size", size(int(record["size"]))),
                           ("Uploaded", render.when(record["createdAt"])),
                           ("Downloads", f"{int(record.get('downloadCount', 0)):,}")],
                    warning="Its bytes are removed from storage and its download links stop working. "
                            "This cannot be undone.", active="storage", title="Delete a file")


def delete_file(ctx: Ctx, file_id: str) -> Response:
    _, redirect = _change(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "storage:write")
    file_service.delete_file(_org(ctx), file_id)
    return render.redirect(render.url("storage", deleted=file_id), ctx.rid)


# ---- jobs ---------------------------------------------------------------------------------------------

def _job_row(job: dict[str, Any]) -> dict[str, Any]:
    error = job.get("error") or None
    result = job.get("result") if isinstance(job.get("result"), dict) else {}
    run_id = result.get("runId") or result.get("testId")
    product = job.get("product")
    return {**job, "project": _cap(job.get("projectId"), 100), "upload_type": _cap(job.get("uploadType"), 60),
            "error_code": _cap(error.get("code"), 60) if error else "",
            "error_message": _cap(error.get("message"), 400) if error else "",
            "error_details": [(_cap(k, 60), _cap(v, 200)) for k, v in list((error.get("details") or {}).items())[:10]]
            if error else [],
            "run_url": render.url(product, "runs", run_id) if run_id and product in ("insight", "autopilot", "guardian")
            and re.match(r"^[A-Za-z0-9._-]{1,128}$", str(run_id)) else None,
            "can_retry": job["status"] == "failed", "can_cancel": job["status"] in ("queued", "running")}


def jobs(ctx: Ctx) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "jobs:read")
    status = (ctx.query.get("status") or "").strip()
    if status and status not in JOB_STATUSES:
        raise InvalidInput(f"'{status[:40]}' is not a job status; use one of {', '.join(JOB_STATUSES)}.")
    cursor = (ctx.query.get("cursor") or "").strip()[:200] or None
    items, next_cursor = job_service.list_jobs(_org(ctx), status=status or None, limit=JOBS_PAGE, cursor=cursor)
    tabs = [{"label": "all", "url": render.url("jobs"), "current": not status}] + [
        {"label": s, "url": render.url("jobs", status=s), "current": s == status} for s in JOB_STATUSES]
    return ctx.page("jobs.html", rows=[_job_row(j) for j in items], wanted=status, tabs=tabs,
                    next_url=render.url("jobs", status=status or None, cursor=next_cursor) if next_cursor else None,
                    first_url=render.url("jobs", status=status or None) if cursor else None,
                    can_write=_has(ctx, "jobs:write"), active="jobs", title="Jobs")


def _job_id(job_id: str) -> str:
    if not _JOB_ID.match(job_id):
        raise NotFound("No such job.")
    return job_id


JOB_NOTICES = {"retried": "The job is queued again; the worker picks it up shortly. Reload to follow it.",
               "cancelled": "The job is cancelled; its uploaded object is removed."}


def job(ctx: Ctx, job_id: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "jobs:read")
    found = job_service.get_job(_org(ctx), _job_id(job_id))
    return ctx.page("job.html", job=_job_row(found), notice=JOB_NOTICES.get(ctx.query.get("done") or ""),
                    can_write=_has(ctx, "jobs:write"), active="jobs", title=f"Job {job_id}")


def retry_job(ctx: Ctx, job_id: str) -> Response:
    _, redirect = _change(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "jobs:write")
    job_service.retry_job(_org(ctx), _job_id(job_id))
    return render.redirect(render.url("jobs", job_id, done="retried"), ctx.rid)


def cancel_job(ctx: Ctx, job_id: str) -> Response:
    _, redirect = _change(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, "jobs:write")
    job_service.cancel_job(_org(ctx), _job_id(job_id))
    return render.redirect(render.url("jobs", job_id, done="cancelled"), ctx.rid)


VIEWS = {
    "usage": usage, "keys": keys, "create_key": create_key, "revoke_form": revoke_form, "revoke_key": revoke_key,
    "storage": storage, "download_file": download_file, "delete_form": delete_form, "delete_file": delete_file,
    "jobs": jobs, "job": job, "retry_job": retry_job, "cancel_job": cancel_job,
}
