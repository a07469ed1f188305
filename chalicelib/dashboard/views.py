"""The dashboard's page views: each reads through the services in-process and renders a template.

``handle`` is the one entry: it finds the session, runs the view, and turns every failure into a page
in the same look (404 for an unknown or foreign id, 403 for a missing scope, 400 for a bad filter, 500
with only a request id) — never a stack trace."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from chalice import Response
from markupsafe import escape

from chalicelib.config import get_settings
from chalicelib.dashboard import charts, data, render
from chalicelib.dashboard import session as sessions
from chalicelib.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from chalicelib.logs import logger
from chalicelib.services import auth
from chalicelib.services import runs as run_service
from chalicelib.services.auth import Principal
from chalicelib.services.upload_types import ITEMS, PRODUCTS
from chalicelib.web.route import request_id_of

TITLES = {"insight": "Insight", "autopilot": "Autopilot", "guardian": "Guardian"}
TYPES = {
    "insight": ("analysis-results", "detector-error-signatures", "ml-training"),
    "autopilot": ("ledger", "snapshot", "recipe-trust", "run-history"),
    "guardian": ("test-results", "lighthouse-report", "accessibility-report"),
}
STATUSES = {"insight": ("completed",), "autopilot": ("succeeded", "failed", "incomplete"),
            "guardian": ("passed", "failed", "completed")}
SEVERITIES = ("error", "warning", "info", "hint")
IMPACTS = ("critical", "serious", "moderate", "minor")
PHASES = ("observe", "decide", "act", "verify", "learn")
# Page sizes and text caps keep every page under 100 KB of HTML whatever was uploaded (the rest is paged
# or cut with a mark saying how much).
ISSUES_PAGE, TESTS_PAGE, EDITS_PAGE, RUNS_PAGE, OTHER_PAGE = 50, 25, 10, 25, 50
TEXT_CAP, DIFF_CAP, NODES_CAP, AUDITS_CAP, VIOLATIONS_CAP, ROWS_CAP = 400, 5000, 3, 20, 10, 50
SCOPE = "runs:read"
PROJECTS_CAP = 40
_NEXT_OK = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")


class Ctx:
    """One request as the views see it: query, form, cookies, and (once signed in) the caller."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.rid = request_id_of(request)
        params = request.query_params or {}
        self.query: dict[str, str] = {k: params.get(k) for k in params}
        self.cookies = _cookies((request.headers or {}).get("cookie", ""))
        self.session: sessions.Session | None = None
        self.principal: Principal | None = None

    def path(self) -> str:
        """This page's path below the dashboard (``/insight/runs/...?...``), to come back after sign-in."""
        uri = self.request.uri_params or {}
        path = re.sub(r"{(\w+)}", lambda m: quote(uri.get(m.group(1), ""), safe=""), self.request.path)
        rest = path.removeprefix("/dashboard") or "/"
        return rest + ("?" + urlencode(self.query) if self.query else "")

    def form(self) -> dict[str, str]:
        raw = self.request.raw_body or b""
        if len(raw) > 16 * 1024:
            raise InvalidInput("The form is too large.")
        try:
            fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidInput("The form could not be read.") from exc
        return {k: v[0] for k, v in fields.items()}

    def page(self, template: str, status: int = 200, cookies: list[str] | None = None, **context: Any) -> Response:
        common = {"who": self.principal, "csrf": sessions.csrf_token(self.session) if self.session else "",
                  "products": PRODUCTS, "titles": TITLES, "active": context.pop("active", None)}
        return render.page(template, {**common, **context}, self.rid, status, cookies)


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value
    return found


def error_page(ctx: Ctx, status: int, title: str, message: str) -> Response:
    try:
        return ctx.page("error.html", status, title=title, message=message, code=status, request_id=ctx.rid)
    except Exception:  # the error page itself failed: the plainest page, still without details
        logger.exception("error page failed")
        body = (f"<!doctype html><html lang=en><title>{status}</title><main><h1>{escape(title)}</h1>"
                f"<p>Request id {escape(ctx.rid)}</p></main></html>")
        headers = {"Content-Type": "text/html; charset=utf-8", "X-Request-Id": ctx.rid, "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer"}
        return Response(body=body, status_code=status, headers=headers)


# ---- where a POST came from ----------------------------------------------------------------------

def _allowed_origins(ctx: Ctx) -> set[str]:
    """The dashboard's own origin; on plain-http loopback also the loopback host the request came to
    (127.0.0.1 and localhost are the same server there)."""
    parts = urlsplit(get_settings().dashboard_url)
    allowed = {f"{parts.scheme}://{parts.netloc}"}
    host = (ctx.request.headers or {}).get("host", "")
    if sessions.loopback_http(get_settings().dashboard_url) and host and sessions.loopback_http(f"http://{host}"):
        allowed.add(f"http://{host}")
    return allowed


def _origin_of(ctx: Ctx) -> str | None:
    headers = ctx.request.headers or {}
    origin = headers.get("origin")
    if origin:
        return origin.strip()
    referer = headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "invalid"
    return None


def foreign_origin(ctx: Ctx) -> bool:
    """Whether a POST came from anywhere but the dashboard's own pages (or says nothing of where)."""
    origin = _origin_of(ctx)
    return origin is None or origin not in _allowed_origins(ctx)


# ---- sessions ---------------------------------------------------------------------------------------

def _safe_next(value: str | None) -> str:
    """A dashboard-relative path to go to after sign-in; anything else (another site, //host) is '/'."""
    if not value or len(value) > 2000 or value.startswith("//") or "\\" in value or not _NEXT_OK.match(value):
        return "/"
    return value


def _go(next_path: str) -> str:
    return render.base_path() + _safe_next(next_path)


def _signed_in(ctx: Ctx) -> Response | None:
    """Load the session and its caller; a redirect to sign-in when there is none (or its key is revoked)."""
    raw = ctx.cookies.get(sessions.COOKIE)
    found = sessions.read(raw)
    who = sessions.principal(found) if found else None
    if found is None or who is None:
        clear = [sessions.cookie(sessions.COOKIE, "", 0)] if raw else None
        return render.redirect(render.url("login", next=ctx.path()), ctx.rid, clear)
    ctx.session, ctx.principal = found, who
    logger.append_keys(org_id=who.org_id, key_id=who.key_id)
    return None


def _need(ctx: Ctx, scope: str) -> None:
    assert ctx.principal is not None
    if scope not in ctx.principal.scopes:
        raise Forbidden(f"The API key you signed in with ({ctx.principal.key_name or ctx.principal.key_id}) lacks the "
                        f"'{scope}' scope, so this page cannot show its data. Sign in with a key that has it.")


def login_form(ctx: Ctx, error: str | None = None, status: int = 200, next_path: str | None = None) -> Response:
    found = sessions.read(ctx.cookies.get(sessions.COOKIE))
    wanted = _safe_next(next_path if next_path is not None else ctx.query.get("next"))
    if error is None and found is not None and sessions.principal(found) is not None:
        return render.redirect(_go(wanted), ctx.rid)
    nonce = ctx.cookies.get(sessions.LOGIN_COOKIE) or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", nonce):
        nonce = sessions.login_nonce()
    notice = "You are signed out." if ctx.query.get("out") == "1" and error is None else None
    return ctx.page("login.html", status, [sessions.cookie(sessions.LOGIN_COOKIE, nonce, sessions.LOGIN_FORM_SECONDS)],
                    login_csrf=sessions.login_csrf(nonce), next=wanted, error=error, notice=notice, title="Sign in")


def login(ctx: Ctx) -> Response:
    form = ctx.form()
    wanted = _safe_next(form.get("next"))
    if not sessions.login_csrf_ok(ctx.cookies.get(sessions.LOGIN_COOKIE), form.get("csrf")):
        return login_form(ctx, "The sign-in form expired. Please try again.", 403, wanted)
    try:
        who = auth.authenticate((form.get("apiKey") or "").strip() or None)
    except Unauthenticated as exc:
        return login_form(ctx, exc.message, 401, wanted)
    value, _ = sessions.issue(who.key_id, who.org_id)
    cookies = [sessions.cookie(sessions.COOKIE, value, sessions.SESSION_SECONDS),
               sessions.cookie(sessions.LOGIN_COOKIE, "", 0)]
    return render.redirect(_go(wanted), ctx.rid, cookies)


def logout(ctx: Ctx) -> Response:
    form = ctx.form()
    found = sessions.read(ctx.cookies.get(sessions.COOKIE))
    if found is not None and not sessions.csrf_ok(found, form.get("csrf")):
        raise Forbidden("The sign-out form is not this session's. Reload the page and sign out again.")
    if found is not None and foreign_origin(ctx):
        raise Forbidden("The sign-out form was not sent from the dashboard's own pages. Sign out from its button.")
    return render.redirect(render.url("login", out="1"), ctx.rid, [sessions.cookie(sessions.COOKIE, "", 0)])


def login_link_for(p: Principal, next_path: str | None) -> dict[str, Any]:
    token, expires = sessions.create_link(p, _safe_next(next_path))
    at = datetime.fromtimestamp(expires, timezone.utc).isoformat().replace("+00:00", "Z")
    return {"url": f"{get_settings().dashboard_url}/login/{token}", "expires_at": at,
            "expires_in": sessions.LINK_SECONDS}


def static(ctx: Ctx, name: str) -> Response:
    found = render.static(name, ctx.rid)
    if found is None:
        raise NotFound("No such file.")
    return found


# ---- overview ---------------------------------------------------------------------------------------

def _headline(product: str, run: dict[str, Any]) -> str:
    s = run.get("summary") or {}
    if product == "insight":
        errors = (s.get("bySeverity") or {}).get("error", 0)
        return f"{s.get('diagnosticsCount', 0)} diagnostics, {errors} errors"
    if product == "autopilot":
        return f"{s.get('editsCount', 0)} edits in {s.get('filesChanged', 0)} files"
    return f"{s.get('passedCount', 0)} of {s.get('testsCount', 0)} tests passed"


def _trend_value(product: str, run: dict[str, Any]) -> float | None:
    s = run.get("summary") or {}
    if product == "insight":
        return float(s.get("diagnosticsCount") or 0)
    if product == "autopilot":
        return 100.0 if run["status"] == "succeeded" else 0.0
    tests = s.get("testsCount") or 0
    return round(100 * (s.get("passedCount") or 0) / tests, 1) if tests else None


TREND_WORDS = {"insight": "diagnostics", "autopilot": "success (100 = succeeded)", "guardian": "pass rate %"}


def overview(ctx: Ctx) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, SCOPE)
    assert ctx.principal is not None
    projects: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for product in PRODUCTS:
        for run in data.recent(ctx.principal.org_id, product, types=(data.MAIN_TYPES[product],), limit=300, scan_cap=1500):
            projects.setdefault(run["projectId"] or "default", {}).setdefault(product, []).append(run)
    latest = {name: max(r[0]["createdAt"] for r in found.values()) for name, found in projects.items()}
    ordered = sorted(projects, key=lambda name: latest[name], reverse=True)  # most recently active first
    rows = []
    for project in ordered[:PROJECTS_CAP]:
        cells = {}
        for product in PRODUCTS:
            found = projects[project].get(product, [])
            if not found:
                continue
            last = list(reversed(found[:10]))
            values = [_trend_value(product, r) for r in last]
            cells[product] = {"run": found[0], "headline": _headline(product, found[0]), "count": len(found),
                              "spark": charts.sparkline(values, f"{TREND_WORDS[product]} over the last {len(last)} runs: "
                                                        + ", ".join("–" if v is None else f"{v:g}" for v in values))}
        rows.append({"project": project, "cells": cells})
    return ctx.page("overview.html", rows=rows, more=max(0, len(ordered) - PROJECTS_CAP), active="overview",
                    title="Overview")


# ---- runs list --------------------------------------------------------------------------------------

def _product(product: str) -> str:
    if product not in PRODUCTS:
        raise NotFound("No such product.")
    return product


_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _id(value: str) -> str:
    """A run id or content hash as this service makes them; anything else is not found (never a key
    DynamoDB would refuse)."""
    if not _ID.match(value):
        raise NotFound("No such run.")
    return value


def runs(ctx: Ctx, product: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    product = _product(product)
    _need(ctx, SCOPE)
    assert ctx.principal is not None
    q = {k: (ctx.query.get(k) or "").strip()[:2000 if k == "cursor" else 200]
         for k in ("project", "status", "environment", "type", "from", "to", "cursor")}
    try:
        since, until = data.parse_day(q["from"]), data.parse_day(q["to"], end=True)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    listing = run_service.list_runs(
        ctx.principal.org_id, product, project_id=q["project"] or None, status=q["status"] or None,
        environment=q["environment"] or None, upload_type=q["type"] or None, since=since, until=until,
        cursor=q["cursor"] or None, limit=RUNS_PAGE)
    trend_types = (data.MAIN_TYPES[product],) + (("lighthouse-report",) if product == "guardian" else ())
    recent = data.recent(ctx.principal.org_id, product, project_id=q["project"] or None, types=trend_types,
                         since=since, until=until, limit=60)
    filters = {k: v for k, v in q.items() if k != "cursor" and v}
    next_url = render.url(product, "runs", **filters, cursor=listing["nextCursor"]) if listing["nextCursor"] else None
    return ctx.page("runs.html", product=product, listing=listing, items=[_row(product, r) for r in listing["items"]],
                    q=q, types=TYPES[product], statuses=STATUSES[product], next_url=next_url,
                    first_url=render.url(product, "runs", **filters) if q["cursor"] else None,
                    stats=listing["stats"], charts=_trend_charts(product, list(reversed(recent))),
                    active=product, title=f"{TITLES[product]} runs")


def _row(product: str, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "headline": _headline(product, run) if run["type"] == data.MAIN_TYPES[product] else _aux_headline(run)}


def _aux_headline(run: dict[str, Any]) -> str:
    s = run.get("summary") or {}
    for key, word in (("issuesCount", "issues"), ("samplesCount", "samples"), ("filesCount", "files"),
                      ("recipesCount", "recipes"), ("runsCount", "runs"), ("violationsCount", "violations")):
        if key in s:
            return f"{s[key]} {word}"
    scores = s.get("scores")
    if isinstance(scores, dict) and scores:
        return ", ".join(f"{k} {v:g}" for k, v in scores.items())
    return run["type"]


def _label(run: dict[str, Any]) -> str:
    return str(run.get("createdAt", ""))[5:16].replace("T", " ")


def _trend_charts(product: str, recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trend charts of a product, each with its SVG and the same figures as a table."""
    main = [r for r in recent if r["type"] == data.MAIN_TYPES[product]]
    found: list[dict[str, Any]] = []
    if product == "insight" and main:
        present = [s for s in SEVERITIES if any((r["summary"].get("bySeverity") or {}).get(s) for r in main)] or ["error"]
        series = [charts.Series(s, [float((r["summary"].get("bySeverity") or {}).get(s, 0)) for r in main]) for s in present]
        found.append(_chart("trend-insight", "Diagnostics by severity per analysis", main, series))
    if product == "autopilot" and main:
        done, rates = 0, []
        for i, r in enumerate(main, 1):
            done += r["status"] == "succeeded"
            rates.append(round(100 * done / i, 1))
        series = [charts.Series("success rate %", rates),
                  charts.Series("run succeeded (100) or not (0)", [100.0 if r["status"] == "succeeded" else 0.0 for r in main])]
        found.append(_chart("trend-autopilot", "Autopilot success over runs", main, series, 100, "%"))
    if product == "guardian":
        if main:
            found.append(_chart("trend-guardian", "Guardian pass rate per test run", main,
                                [charts.Series("pass rate %", [_trend_value("guardian", r) for r in main])], 100, "%"))
        lighthouse = [r for r in recent if r["type"] == "lighthouse-report"]
        if lighthouse:
            names = sorted({k for r in lighthouse for k in (r["summary"].get("scores") or {})})
            series = [charts.Series(n, [(r["summary"].get("scores") or {}).get(n) for r in lighthouse]) for n in names]
            found.append(_chart("trend-lighthouse", "Lighthouse category scores per report", lighthouse, series, 100))
    return found


def _chart(chart_id: str, title: str, runs_: list[dict[str, Any]], series: list[charts.Series],
           y_max: float | None = None, unit: str = "") -> dict[str, Any]:
    labels = [_label(r) for r in runs_]
    rows = [{"label": labels[i], "run": r, "values": [s.values[i] for s in series]} for i, r in enumerate(runs_)]
    return {"id": chart_id, "title": title, "svg": charts.line_chart(chart_id, title, labels, series, y_max, unit),
            "columns": [s.name for s in series], "rows": rows}


# ---- run pages --------------------------------------------------------------------------------------

def _page_number(ctx: Ctx, name: str = "page") -> int:
    raw = ctx.query.get(name) or "1"
    if not raw.isdigit() or not 0 < int(raw) <= 1_000_000:
        raise InvalidInput(f"'{name}' must be a page number from 1.")
    return int(raw)


def _pager(ctx: Ctx, product: str, run_id: str, total: int, size: int, page: int, **keep: Any) -> dict[str, Any]:
    pages = max(1, math.ceil(total / size))
    base = {k: v for k, v in keep.items() if v}

    def link(n: int) -> str:
        return render.url(product, "runs", run_id, **base, page=n if n > 1 else None)

    return {"page": page, "pages": pages, "total": total, "first": (page - 1) * size + 1 if total else 0,
            "last": min(page * size, total), "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None}


def _cap(value: Any, limit: int = TEXT_CAP) -> str:
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + f" … ({len(text) - limit:,} more characters)"


def _web_link(value: Any) -> str | None:
    """A link taken from an upload only when it is plain http(s); anything else is shown as text."""
    text = str(value or "")
    return text if re.match(r"^https?://[^\s\"'<>]+$", text) and len(text) <= 300 else None


def run(ctx: Ctx, product: str, run_id: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    product, run_id = _product(product), _id(run_id)
    _need(ctx, SCOPE)
    assert ctx.principal is not None
    item, view = data.load_run(ctx.principal.org_id, product, run_id)
    common = {"run": view, "product": product, "active": product, "title": f"{TITLES[product]} {view['type']} {run_id}",
              "cmp": _comparison(ctx, product, item, view)}
    paged = data.paged_kind(item)  # the page's items come from the run's pages: no payload read
    if paged == "issues" and product == "insight":
        return ctx.page("run_insight.html", **common, **_insight(ctx, view, None, item))
    if paged and product == "guardian" and view["type"] == "test-results":
        return ctx.page("run_guardian.html", **common, **_guardian(ctx, item, view, None, None))
    if paged and product != "guardian" and not (product == "autopilot" and view["type"] == "ledger"):
        return ctx.page("run_other.html", **common, **_other(ctx, view, paged, None, item))
    payload = data.payload_of(item)
    kind, items = ITEMS[product](view["type"], payload)
    if product == "insight" and kind == "issues" and not items and isinstance(payload, dict) \
            and isinstance(payload.get("signatures"), list):  # error signatures: a table of their own
        kind, items = "signatures", payload["signatures"]
    if product == "insight" and kind == "issues":
        return ctx.page("run_insight.html", **common, **_insight(ctx, view, items))
    if product == "autopilot" and view["type"] == "ledger":
        return ctx.page("run_autopilot.html", **common, **_autopilot(ctx, view, payload, items))
    if product == "guardian":
        return ctx.page("run_guardian.html", **common, **_guardian(ctx, item, view, payload, items))
    return ctx.page("run_other.html", **common, **_other(ctx, view, kind, items))


GATE_WORDS = {"passed": "passed", "failed": "failed", "no_baseline": "no baseline"}
RULE_WORDS = {"ancestor": "the ancestor commit on the base branch", "nearest_earlier": "the nearest earlier base-branch run",
              "chosen": "chosen by hand"}
COUNT_WORDS = {"new": "New", "fixed": "Fixed", "newlyFailing": "Newly failing", "editsDelta": "Edits vs baseline",
               "succeeded": "Succeeded", "baselineSucceeded": "Baseline succeeded"}


def _comparison(ctx: Ctx, product: str, item: dict[str, Any], view: dict[str, Any]) -> dict[str, Any] | None:
    """The run against its baseline (the compare service, in-process): baseline, gate, counts and one
    page of the new and fixed lists as text rows; None for a type that is not compared."""
    page = _page_number(ctx, "cpage")
    found = data.comparison(view_org(ctx), product, item, page)
    if found is None:
        return None
    kind, counts = view["type"], found["counts"] or {}
    cards: list[tuple[str, str]] = []
    for key, value in counts.items():
        if key == "deltas":
            cards += [(f"{_cap(name, 60)} vs baseline", f"{d:+g}") for name, d in sorted(value.items())]
        elif key in ("newBySeverity", "fixedBySeverity"):
            word = "new" if key == "newBySeverity" else "fixed"
            cards += [(f"{word} {_cap(sev, 20)}", f"{n:,}") for sev, n in sorted(value.items(), key=_severity_order)]
        elif isinstance(value, bool):
            cards.append((COUNT_WORDS.get(key, key), "yes" if value else "no"))
        else:
            cards.append((COUNT_WORDS.get(key, key), f"{value:+,}" if key == "editsDelta" else f"{value:,}"))
    if kind == "analysis-results":
        columns = ["Severity", "File", "Line", "Rule", "Message"]
        row: Callable[[dict[str, Any]], list[str]] = lambda e: [
            _cap(e.get("severity"), 20), _cap(e.get("file"), 200), _cap(e.get("line"), 12), _cap(e.get("rule"), 80),
            _cap(e.get("message"), 300)]
    elif kind == "test-results":
        columns = ["Test", "Status", "Before"]
        row = lambda e: [_cap(e.get("name"), 160), _cap(e.get("status"), 40), _cap(e.get("before") or "—", 40)]  # noqa: E731
    else:
        columns = ["Rule", "Impact"]
        row = lambda e: [_cap(e.get("rule"), 120), _cap(e.get("impact"), 40)]  # noqa: E731
    lists = kind in ("analysis-results", "test-results", "accessibility-report")
    total = max(found["newTotal"], found["fixedTotal"])
    pages = max(1, math.ceil(total / found["pageSize"]))

    def link(n: int) -> str:
        return render.url(product, "runs", view["runId"], cpage=n if n > 1 else None) + "#cmp-h"

    pager = {"page": page, "pages": pages, "total": total, "first": (page - 1) * found["pageSize"] + 1 if total else 0,
             "last": min(page * found["pageSize"], total), "prev": link(page - 1) if page > 1 else None,
             "next": link(page + 1) if page < pages else None}
    base = found["baseline"]
    gate = found["gate"] or {}
    kept = view.get("gate") or {}
    return {"baseline": base and {**base, "commit": _cap(base.get("commit"), 64), "branch": _cap(base.get("branch"), 200),
                                  "rule": RULE_WORDS.get(str(base.get("rule")), _cap(base.get("rule"), 40))},
            "gate": GATE_WORDS.get(str(gate.get("status")), _cap(gate.get("status"), 40)),
            "reasons": [_cap(r, 300) for r in gate.get("reasons") or []],
            "at_upload": GATE_WORDS.get(str(kept.get("status")), _cap(kept.get("status"), 40)) if kept.get("status")
            and kept.get("status") != gate.get("status") else None,
            "cards": cards, "lists": lists, "columns": columns,
            "new": [row(e) for e in found["new"]], "fixed": [row(e) for e in found["fixed"]],
            "new_total": found["newTotal"], "fixed_total": found["fixedTotal"], "pager": pager}


def _severity_order(pair: tuple[str, Any]) -> tuple[int, str]:
    return (SEVERITIES.index(pair[0]) if pair[0] in SEVERITIES else len(SEVERITIES), pair[0])


_COMMIT = re.compile(r"^[0-9A-Fa-f]{4,64}$")


def commit(ctx: Ctx, sha: str) -> Response:
    """One commit across the three tools: each run of it with its gate (as given at upload)."""
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    _need(ctx, SCOPE)
    if not _COMMIT.match(sha):
        raise NotFound("No such commit.")
    project = (ctx.query.get("projectId") or "").strip()
    if not project or len(project) > 200:
        raise InvalidInput("Say which project: /dashboard/commits/<commit>?projectId=<project>.")
    found = data.commit(view_org(ctx), project, sha)
    rows = []
    for r in found["runs"]:
        gate = r.get("gate") or {}
        rows.append({"product": r["product"], "title": TITLES.get(r["product"], r["product"]), "type": r["type"],
                     "runId": r["runId"], "status": r.get("status") or "—", "branch": _cap(r.get("branch"), 200),
                     "createdAt": r.get("createdAt"),
                     "gate": GATE_WORDS.get(str(gate.get("status")), _cap(gate.get("status") or "—", 40)),
                     "compared": bool(gate.get("status")),
                     "reasons": [_cap(x, 300) for x in gate.get("reasons") or []][:10]})
    rows.sort(key=lambda r: (PRODUCTS.index(r["product"]) if r["product"] in PRODUCTS else 9, r["type"], r["createdAt"] or ""))
    return ctx.page("commit.html", commit=found["commit"], project=project, rows=rows,
                    gate=GATE_WORDS.get(found["gate"], "no runs") if found["gate"] != "none" else "no runs",
                    title=f"Commit {found['commit'][:12]}")


def _insight(ctx: Ctx, view: dict[str, Any], items: list[dict[str, Any]] | None,
             item: dict[str, Any] | None = None) -> dict[str, Any]:
    """The issues page; ``items`` None: the page comes from the run's pages (``item``) unless the rule
    search (code and source text) or the grouping by file need every issue."""
    severity = (ctx.query.get("severity") or "").strip()
    file_q = (ctx.query.get("file") or "").strip()[:300]
    rule_q = (ctx.query.get("rule") or "").strip()[:200]
    grouped = ctx.query.get("group") == "file"
    page = _page_number(ctx)
    file_l, rule_l = file_q.lower(), rule_q.lower()
    found = None
    if items is None and item is not None:
        if not grouped and not rule_l:
            found = data.page_of(item, (page - 1) * ISSUES_PAGE, ISSUES_PAGE, {"severity": severity} if severity else {},
                                 {"file": file_l} if file_l else {})
        if found is None:
            items = data.items_of(item)
    per_file: Counter[str] = Counter()
    if found is not None:
        chunk, total = found
    else:
        filtered = [i for i in items or []
                    if (not severity or i.get("severity") == severity)
                    and (not file_l or file_l in str(i.get("file") or "").lower())
                    and (not rule_l or rule_l in f"{i.get('code') or ''} {i.get('source') or ''}".lower())]
        if grouped:
            filtered.sort(key=lambda i: str(i.get("file") or ""))
            per_file = Counter(str(i.get("file") or "") for i in filtered)
        total, chunk = len(filtered), filtered[(page - 1) * ISSUES_PAGE: page * ISSUES_PAGE]
    pager = _pager(ctx, "insight", view["runId"], total, ISSUES_PAGE, page, severity=severity, file=file_q,
                   rule=rule_q, group="file" if grouped else None)
    rows = [{"file": _cap(i.get("file"), 200), "line": i.get("line"), "column": i.get("column"),
             "severity": _cap(i.get("severity"), 20), "code": _cap(i.get("code"), 80),
             "source": _cap(i.get("source"), 80), "message": _cap(i.get("message"), 400)} for i in chunk]
    by_severity = view["summary"].get("bySeverity") or {}
    cards = [(s, by_severity.get(s, 0)) for s in SEVERITIES] + [(s, n) for s, n in by_severity.items() if s not in SEVERITIES]
    if view["type"] == "analysis-results":
        related = [r for r in data.around(view_org(ctx), "insight", view, ()) if r["type"] != "analysis-results"]
    else:
        related = data.around(view_org(ctx), "insight", view, ("analysis-results",))
    top_files = [(_cap(name, 200), n, render.url("insight", "runs", view["runId"], severity=severity, file=name[:300],
                                               rule=rule_q, group="file"))
                 for name, n in per_file.most_common(20)] if grouped else []
    return {"cards": cards, "rows": rows, "pager": pager, "grouped": grouped, "per_file": per_file, "top_files": top_files,
            "f": {"severity": severity, "file": file_q, "rule": rule_q}, "severities": SEVERITIES,
            "related": [_row("insight", r) for r in related[:20]], "filtered_total": total}


def view_org(ctx: Ctx) -> str:
    assert ctx.principal is not None
    return ctx.principal.org_id


def _page(item: dict[str, Any] | None, items: list[Any] | None, page: int, size: int) -> tuple[list[Any], int]:
    """(page ``page`` of the run's items, how many there are): from ``items`` when given, else from
    the run's pages (the whole payload when it has none)."""
    found = data.page_of(item, (page - 1) * size, size) if items is None and item is not None else None
    if found is not None:
        return found
    if items is None:
        items = data.items_of(item) if item is not None else []
    return items[(page - 1) * size: page * size], len(items)


def _other(ctx: Ctx, view: dict[str, Any], kind: str, items: list[Any] | None,
           item: dict[str, Any] | None = None) -> dict[str, Any]:
    """Auxiliary uploads (snapshots, recipe trust, history, training sets): their items as text tables."""
    page = _page_number(ctx)
    chunk, total = _page(item, items, page, OTHER_PAGE)
    pager = _pager(ctx, view["product"], view["runId"], total, OTHER_PAGE, page)
    columns: list[str] = []
    for entry in chunk:
        for key in (entry if isinstance(entry, dict) else {}):
            if key not in columns and len(columns) < 8:
                columns.append(key)
    rows = [[_cap(entry.get(c) if isinstance(entry, dict) else entry, 150) for c in columns] for entry in chunk]
    return {"kind": kind, "columns": columns, "rows": rows, "pager": pager}


def _autopilot(ctx: Ctx, view: dict[str, Any], payload: Any, items: list[Any]) -> dict[str, Any]:
    body = payload if isinstance(payload, dict) else {}
    raw_phases = body.get("phases")
    phases: list[dict[str, Any]] = []
    if isinstance(raw_phases, dict):
        names = [p for p in PHASES if p in raw_phases] + [p for p in raw_phases if p not in PHASES]
        entries = [(n, raw_phases[n]) for n in names]
    elif isinstance(raw_phases, list):
        entries = [(str((p or {}).get("name") or (p or {}).get("phase") or f"phase {i + 1}"), p)
                   for i, p in enumerate(raw_phases) if isinstance(p, dict)]
    else:
        entries = []
    for name, phase in entries[:20]:
        phase = phase if isinstance(phase, dict) else {"status": phase}
        details = [f"{k}: {_cap(v, 200)}" for k, v in phase.items()
                   if k not in ("status", "durationMs", "duration", "name", "phase") and not isinstance(v, (dict, list))]
        metrics = phase.get("metrics")
        if isinstance(metrics, dict):
            details += [f"{k}: {_cap(v, 200)}" for k, v in list(metrics.items())[:10]]
        phases.append({"name": name, "letter": name[:1].upper(), "status": _cap(phase.get("status") or "—", 100),
                       "duration": phase.get("durationMs", phase.get("duration")), "details": details[:12]})
    page = _page_number(ctx)
    pager = _pager(ctx, "autopilot", view["runId"], len(items), EDITS_PAGE, page)
    edits = []
    for edit in items[(page - 1) * EDITS_PAGE: page * EDITS_PAGE]:
        edit = edit if isinstance(edit, dict) else {}
        diff = _cap(edit.get("diff") or "", DIFF_CAP)
        lines = [("add" if ln.startswith("+") else "del" if ln.startswith("-") else "hunk" if ln.startswith("@@") else "ctx", ln)
                 for ln in diff.splitlines()]
        edits.append({"file": _cap(edit.get("file"), 300), "recipe": _cap(edit.get("recipe"), 200),
                      "action": _cap(edit.get("action"), 100), "added": edit.get("linesAdded"),
                      "removed": edit.get("linesRemoved"), "lines": lines})
    related = data.around(view_org(ctx), "autopilot", view, ("snapshot", "recipe-trust", "run-history"))
    snapshot_id = body.get("undoSnapshotId")
    snapshots = [r for r in related if r["type"] == "snapshot"]
    snapshot_run = next((r for r in snapshots if snapshot_id and r.get("externalId") == snapshot_id), None)
    snapshot_run = snapshot_run or next((r for r in snapshots if r["summary"].get("ledgerRunId") == view.get("externalId")), None)
    snapshot = None
    if snapshot_run is not None:
        _, _, snap = data.load(view_org(ctx), "autopilot", snapshot_run["runId"])
        _, files = ITEMS["autopilot"]("snapshot", snap)
        snapshot = {"run": snapshot_run, "files": [{"path": _cap(f.get("path"), 300), "hash": _cap(f.get("hash"), 100),
                                                    "size": len(f.get("content") or "") if isinstance(f.get("content"), str) else None}
                                                   for f in files[:ROWS_CAP] if isinstance(f, dict)], "total": len(files)}
    trust_run = next((r for r in related if r["type"] == "recipe-trust"), None)
    recipes = None
    if trust_run is not None:
        _, _, trust = data.load(view_org(ctx), "autopilot", trust_run["runId"])
        _, found = ITEMS["autopilot"]("recipe-trust", trust)
        recipes = {"run": trust_run, "rows": [_recipe(r) for r in found[:ROWS_CAP] if isinstance(r, dict)], "total": len(found)}
    return {"phases": phases, "edits": edits, "pager": pager, "snapshot": snapshot, "snapshot_id": snapshot_id,
            "recipes": recipes, "related": [_row("autopilot", r) for r in related[:20]], "ledger": {
                "phase": _cap(body.get("phase"), 100), "startedAt": body.get("startedAt"), "finishedAt": body.get("finishedAt")}}


def _recipe(r: dict[str, Any]) -> dict[str, Any]:
    trust = r.get("trust")
    trust_pct = trust * 100 if isinstance(trust, (int, float)) and not isinstance(trust, bool) and trust <= 1 else trust
    return {"id": _cap(r.get("id"), 200), "name": _cap(r.get("name"), 300),
            "trust": trust_pct if isinstance(trust_pct, (int, float)) else None,
            "runs": r.get("runs"), "successes": r.get("successes"), "failures": r.get("failures"),
            "lastRun": r.get("lastRun")}


def _guardian(ctx: Ctx, item: dict[str, Any], view: dict[str, Any], payload: Any,
              items: list[Any] | None) -> dict[str, Any]:
    org = view_org(ctx)
    out: dict[str, Any] = {"tests": None, "lighthouse": [], "accessibility": [], "other_shots": [], "reports": []}
    if view["type"] == "test-results":
        shots = run_service.attachments(org, "guardian", item)
        by_name = {a["fileName"]: a for a in shots if a.get("fileName")}
        used: set[str] = set()
        page = _page_number(ctx)
        chunk, total = _page(item, items, page, TESTS_PAGE)
        pager = _pager(ctx, "guardian", view["runId"], total, TESTS_PAGE, page)
        tests = []
        for test in chunk:
            test = test if isinstance(test, dict) else {}
            names = test.get("screenshots") if isinstance(test.get("screenshots"), list) else [test.get("screenshot")]
            mine = []
            for name in names:
                name = name.get("path") or name.get("name") if isinstance(name, dict) else name
                if isinstance(name, str) and name.rsplit("/", 1)[-1] in by_name:
                    shot = by_name[name.rsplit("/", 1)[-1]]
                    used.add(shot["sha256"])
                    mine.append(_shot(view, shot))
            status = str(test.get("status") or test.get("outcome") or "unknown")
            tests.append({"name": _cap(test.get("name") or test.get("title") or "(unnamed)", 160), "type": _cap(test.get("type"), 100),
                          "status": _cap(status, 50), "duration": test.get("duration", test.get("durationMs")),
                          "error": _cap(test.get("error"), TEXT_CAP) if test.get("error") else "", "shots": mine})
        out["tests"] = tests
        out["pager"] = pager
        out["other_shots"] = [_shot(view, s) for s in shots if s["sha256"] not in used][:50]
        for report in run_service.reports(org, "guardian", item):
            try:
                _, report_view, report_payload = data.load(org, "guardian", report["runId"])
            except NotFound:
                continue
            out["reports"].append(report_view)
            _report_sections(out, report_view, report_payload)
    else:
        _report_sections(out, view, payload)
    return out


def _shot(view: dict[str, Any], shot: dict[str, Any]) -> dict[str, Any]:
    return {"url": shot["url"], "name": _cap(shot.get("fileName") or shot["sha256"][:12], 200),
            "page": render.url("guardian", "runs", view["runId"], "screenshots", shot["sha256"])}


def _report_sections(out: dict[str, Any], view: dict[str, Any], payload: Any) -> None:
    body = payload if isinstance(payload, dict) else {}
    if view["type"] == "lighthouse-report":
        categories = body.get("categories") if isinstance(body.get("categories"), dict) else {}
        gauges = []
        for key, cat in list(categories.items())[:10]:
            cat = cat if isinstance(cat, dict) else {}
            score = cat.get("score")
            value = score * 100 if isinstance(score, (int, float)) and not isinstance(score, bool) else None
            gauges.append(charts.gauge(value, _cap(cat.get("title") or key, 100)))
        audits = body.get("audits") if isinstance(body.get("audits"), dict) else {}
        failing = []
        for key, audit in audits.items():
            if not isinstance(audit, dict):
                continue
            score = audit.get("score")
            if isinstance(score, (int, float)) and not isinstance(score, bool) and score < 0.9:
                failing.append({"id": _cap(audit.get("id") or key, 80), "title": _cap(audit.get("title"), 160),
                                "score": score * 100, "display": _cap(audit.get("displayValue"), 60)})
        failing.sort(key=lambda a: a["score"])
        out["lighthouse"].append({"run": view, "gauges": gauges, "failing": failing[:AUDITS_CAP], "failing_total": len(failing),
                                  "url": _cap(body.get("finalUrl") or body.get("requestedUrl"), 200)})
    elif view["type"] == "accessibility-report":
        groups: dict[str, list[dict[str, Any]]] = {}
        violations = body.get("violations") if isinstance(body.get("violations"), list) else []
        for v in violations[:VIOLATIONS_CAP]:
            if not isinstance(v, dict):
                continue
            impact = str(v.get("impact") or "unknown")
            nodes = v.get("nodes") if isinstance(v.get("nodes"), list) else []
            groups.setdefault(impact, []).append({
                "id": _cap(v.get("id"), 80), "help": _cap(v.get("help"), 160), "description": _cap(v.get("description"), 200),
                "help_url": _web_link(v.get("helpUrl")), "help_url_text": _cap(v.get("helpUrl"), 120),
                "nodes": [{"target": _cap(", ".join(map(str, n.get("target"))) if isinstance(n.get("target"), list) else n.get("target"), 120),
                           "html": _cap(n.get("html"), 160), "summary": _cap(n.get("failureSummary"), 160)}
                          for n in nodes[:NODES_CAP] if isinstance(n, dict)],
                "nodes_total": len(nodes)})
        order = [i for i in IMPACTS if i in groups] + [i for i in groups if i not in IMPACTS]
        out["accessibility"].append({"run": view, "groups": [(i, groups[i]) for i in order],
                                     "score": body.get("score"), "total": len(violations), "shown": min(len(violations), VIOLATIONS_CAP),
                                     "url": _cap(body.get("url"), 200)})


def screenshot(ctx: Ctx, product: str, run_id: str, sha256: str) -> Response:
    redirect = _signed_in(ctx)
    if redirect is not None:
        return redirect
    product, run_id, sha256 = _product(product), _id(run_id), _id(sha256)
    _need(ctx, SCOPE)
    item = run_service.get_run(view_org(ctx), product, run_id)
    shot = next((s for s in run_service.attachments(view_org(ctx), product, item) if s["sha256"] == sha256), None)
    if shot is None:
        raise NotFound("No such screenshot.")
    return ctx.page("screenshot.html", run=run_service.view(item), product=product, shot=_shot(run_service.view(item), shot),
                    active=product, title=f"Screenshot {shot.get('fileName') or sha256[:12]}")


def login_link(ctx: Ctx, token: str) -> Response:
    taken = sessions.take_link(token)
    if taken is None or sessions.principal(taken[0]) is None:
        return error_page(ctx, 404, "This sign-in link does not work",
                      "It is unknown, used already or expired (links work once, for five minutes). "
                      "Run `odavl dashboard` for a new one, or sign in with your API key.")
    _, value, next_path = taken
    return render.redirect(_go(next_path), ctx.rid, [sessions.cookie(sessions.COOKIE, value, sessions.SESSION_SECONDS)])


VIEWS: dict[str, Callable[..., Response]] = {
    "overview": overview, "login_form": login_form, "login": login, "login_link": login_link, "logout": logout,
    "static": static, "runs": runs, "run": run, "screenshot": screenshot, "commit": commit,
}
