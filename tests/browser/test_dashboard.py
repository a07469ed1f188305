"""The dashboard in a real browser: results uploaded by the CLI, signed in through the form and through
``odavl dashboard``, every page opened at the URL the upload printed, and checked for what a person sees."""
from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import re
from typing import Any

import pytest

from tests.browser.conftest import XSS_MESSAGE, XSS_TEST, Tab, World, axe_violations, shoot
from tests.cli.conftest import run_odavl

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _no_injected_markup(page: Any) -> None:
    """The hostile strings are on the page as text, and nothing they spell exists in the DOM."""
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('alert(1)'))") is False
    assert page.evaluate("() => [...document.querySelectorAll('[onerror]')].length") == 0


def test_a_printed_url_without_a_session_asks_to_sign_in_then_comes_back(tab: Tab, world: World):
    url = world.urls["analysis-results"]
    assert url.startswith(world.base + "/insight/runs/")
    response = tab.page.goto(url)
    assert "/dashboard/login?next=" in tab.page.url
    assert response is not None and response.status == 200
    assert tab.page.locator("input[name=apiKey]").count() == 1
    tab.page.fill("input[name=apiKey]", world.cli.key)
    with tab.page.expect_navigation():
        tab.page.click("button[type=submit]")
    assert tab.page.url == url
    assert world.run_ids["analysis-results"] in tab.page.inner_text("main")
    cookies = {c["name"]: c for c in tab.context.cookies()}
    session = cookies["odavl_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax" and session["path"] == "/dashboard"
    assert session["secure"] is False  # plain http on loopback only
    assert world.cli.key not in json.dumps(list(cookies.values()))  # the cookie holds no secret
    shoot(tab.page, "insight-run")


def test_a_wrong_key_is_refused_on_the_form(tab: Tab, world: World):
    page = tab.page
    page.goto(f"{world.base}/login")
    page.fill("input[name=apiKey]", "odavl_0123456789abcdef_" + "x" * 43)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button[type=submit]")
    assert posted.value.status == 401
    assert "Invalid API key" in page.inner_text("[role=alert]")
    assert "odavl_session" not in {c["name"] for c in tab.context.cookies()}
    shoot(page, "login")


def test_odavl_dashboard_prints_a_link_that_signs_in_once(browser: Any, world: World):
    target = world.urls["ledger"]
    result = run_odavl("dashboard", "--no-open", target, env=world.cli.env())
    assert result.code == 0, result.output
    link = next(line for line in result.stdout.splitlines() if "/dashboard/login/" in line).strip()
    assert link.startswith(world.base + "/login/") and world.cli.key not in result.stdout
    first = Tab(browser, world)
    try:
        first.page.goto(link)
        assert first.page.url == target
        assert "Phases" in first.page.inner_text("main")
    finally:
        first.close()
    second = Tab(browser, world)
    try:
        response = second.page.goto(link)
        assert response is not None and response.status == 404
        assert "This sign-in link does not work" in second.page.inner_text("h1")
        assert "odavl_session" not in {c["name"] for c in second.context.cookies()}
    finally:
        second.close()


def test_a_link_taken_from_json_leads_to_the_overview(tab: Tab, world: World):
    result = run_odavl("dashboard", "--json", env=world.cli.env())
    assert result.code == 0, result.output
    link = json.loads(result.stdout)
    assert link["expiresIn"] == 300 and link["url"].startswith(world.base + "/login/")
    tab.page.goto(link["url"])
    assert tab.page.url == world.base + "/"
    assert "Projects" in tab.page.inner_text("h1")


def test_insight_run_page(tab: Tab, world: World):
    page = tab.sign_in(start=world.urls["analysis-results"])
    main = page.inner_text("main")
    cards = {c.inner_text().split()[0].lower(): c.inner_text().split()[-1] for c in page.locator(".cards .card").all()}
    assert cards["error"] == "3" and cards["warning"] == "3" and cards["info"] == "1" and cards["hint"] == "1"
    assert page.locator("tr.issue").count() == 8
    assert "8 matching issues" in main
    assert "Possible SQL injection: query built from request input." in main
    # what a user uploaded is text: the message reads as written, and nothing it spells exists
    assert page.get_by_text(XSS_MESSAGE, exact=True).count() == 1
    _no_injected_markup(page)
    # filters: severity, file, rule; grouped by file
    page.select_option("#f-sev", "error")  # applies at once (progressive enhancement)
    page.wait_for_url(re.compile(r"severity=error"))
    assert page.locator("tr.issue").count() == 3
    page.goto(world.urls["analysis-results"] + "?file=Cart&rule=eslint")
    assert page.locator("tr.issue").count() == 1 and "missing dependency" in page.inner_text("tr.issue")
    page.goto(world.urls["analysis-results"] + "?group=file")
    groups = [g.inner_text() for g in page.locator("tr.group").all()]
    assert len(groups) == 3 and groups[0].startswith("src/api/orders.ts") and "(4 issues)" in groups[0]
    top = page.locator("details.top-files li").all_inner_texts()
    assert top[0].split() == ["src/api/orders.ts", "4"] and len(top) == 3
    # the auxiliary upload of the same analysis
    related = page.inner_text("section[aria-labelledby=rel-h]")
    assert "detector-error-signatures" in related and world.run_ids["detector-error-signatures"] in related
    with page.expect_navigation():
        page.click(f"text={world.run_ids['detector-error-signatures']}")
    assert world.run_ids["detector-error-signatures"] in page.url


def test_autopilot_run_page(tab: Tab, world: World):
    page = tab.sign_in(start=world.urls["ledger"])
    phases = [p.inner_text() for p in page.locator("li.phase").all()]
    assert [p.split("\n")[1].strip() if "\n" in p else p for p in phases] and len(phases) == 5
    names = page.locator(".phase-name").all_inner_texts()
    assert [n.lower() for n in names] == ["observe", "decide", "act", "verify", "learn"]
    assert page.locator(".phase-duration").all_inner_texts() == ["8.2 s", "1.4 s", "5.3 s", "56.1 s", "1.5 s"]
    edits = page.locator("article.edit")
    assert edits.count() == 2
    assert "-  const total = sum(items);" in edits.nth(0).inner_text()
    assert "+  return new Intl.NumberFormat(locale)" in edits.nth(1).inner_text()
    snapshot = page.inner_text("section[aria-labelledby=sn-h]")
    assert "snap-20261122-093000-a1b2" in snapshot and "src/utils/format.ts" in snapshot
    trust = page.locator("table.trust tbody tr")
    assert trust.count() == 3 and "92 %" in trust.nth(0).inner_text()
    shoot(page, "autopilot-run")


def test_guardian_run_page(tab: Tab, world: World):
    page = tab.sign_in(start=world.urls["test-results"])
    rows = page.locator("tr.test")
    assert rows.count() == 6
    assert page.locator("td.test-name").all_inner_texts()[:2] == ["home page loads", "accessibility: home"]
    checkout = rows.filter(has_text="checkout flow")
    assert "Timeout waiting for #pay-button" in checkout.inner_text() and "failed" in checkout.inner_text()
    assert page.get_by_text(XSS_TEST, exact=True).count() == 1
    _no_injected_markup(page)
    thumbs = page.locator("a.thumb img")
    assert thumbs.count() == 2
    for i in range(thumbs.count()):
        img = thumbs.nth(i)
        assert img.get_attribute("loading") == "lazy"
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    widths = page.evaluate("() => [...document.querySelectorAll('a.thumb img')].map(i => i.naturalWidth)")
    assert sorted(widths) == [8, 32]
    gauges = page.locator("figure.gauge figcaption").all_inner_texts()
    assert any("Performance" in g and "91/100" in g for g in gauges)
    assert any("SEO" in g and "100/100" in g for g in gauges)
    assert "Background and foreground colors have a sufficient contrast ratio" in page.inner_text("table.audits")
    impacts = page.locator("h3.impact").all_inner_texts()
    assert impacts[0].lower().startswith("critical") and impacts[1].lower().startswith("serious")
    violations = page.inner_text("section[aria-labelledby=ax-h-1]")
    assert "rule image-alt" in violations and "#hero img" in violations and '<img src="/hero.webp">' in violations
    shoot(page, "guardian-run")
    # full size on click (a dialog with JavaScript; a page of its own without)
    thumbs.nth(0).click()
    full = page.locator("dialog.shot img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=full.element_handle())
    page.click("dialog.shot button")
    href = page.locator("a.thumb").nth(0).get_attribute("href")
    page.goto(world.stack.api_url + href)
    page.wait_for_function("() => { const i = document.querySelector('img.full'); return i && i.naturalWidth > 0 }")
    shoot(page, "screenshot")


def test_another_organizations_run_and_an_unknown_id_are_404_pages(tab: Tab, world: World):
    page = tab.sign_in()
    for url in (world.other_url, world.base + "/insight/runs/01nosuchrun0000000000000000", world.base + "/nope/runs"):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        assert page.inner_text("h1") == "Not found"
        assert page.locator("header.top nav").count() == 1  # the same look
        assert "Traceback" not in page.content()
    shoot(page, "not-found")


def test_a_key_without_runs_read_is_told_so(tab: Tab, world: World):
    page = tab.sign_in(key=world.reader_key)
    response = page.goto(world.base + "/")
    assert response is not None and response.status == 403
    assert "lacks the 'runs:read' scope" in page.inner_text("main")
    shoot(page, "missing-scope")


def test_a_revoked_key_ends_its_sessions_at_the_next_request(tab: Tab, world: World):
    made = world.api("POST", "/v1/api-keys", json={"name": "short-lived", "scopes": ["runs:read"]})
    assert made.status_code == 201, made.text
    page = tab.sign_in(key=made.json()["key"])
    assert page.goto(world.base + "/insight/runs").status == 200
    assert world.api("DELETE", f"/v1/api-keys/{made.json()['keyId']}").status_code == 204
    page.goto(world.base + "/insight/runs")
    assert "/dashboard/login?next=" in page.url


def test_sign_out_is_a_post_with_the_sessions_csrf_token(tab: Tab, world: World):
    page = tab.sign_in()
    cookie = next(c for c in tab.context.cookies() if c["name"] == "odavl_session")
    forged = tab.context.request.post(world.base + "/logout", form={"csrf": "not-the-token"}, max_redirects=0)
    assert forged.status == 403
    assert page.goto(world.base + "/").status == 200  # still signed in
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/dashboard/login\?out=1"))
    assert "You are signed out." in page.inner_text("main")
    page.goto(world.base + "/")
    assert "/dashboard/login" in page.url
    assert cookie["value"]


def test_a_tampered_or_foreign_cookie_is_refused(tab: Tab, world: World):
    tab.sign_in()
    cookie = next(c for c in tab.context.cookies() if c["name"] == "odavl_session")
    body, mac = cookie["value"].split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data["o"] = "someone-else"
    moved = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    other_secret = hmac.new(b"another stack's secret", f"session|{body}".encode(), hashlib.sha256).digest()
    resigned = base64.urlsafe_b64encode(other_secret).decode().rstrip("=")
    for value in (f"{moved}.{mac}", f"{body}.{resigned}"):
        tab.context.clear_cookies()
        tab.context.add_cookies([{**cookie, "value": value}])
        tab.page.goto(world.base + "/")
        assert "/dashboard/login" in tab.page.url, value
    tab.context.add_cookies([cookie])  # the genuine one still works
    assert tab.page.goto(world.base + "/").status == 200


def test_security_headers_on_every_page(tab: Tab, world: World):
    page = tab.sign_in()
    urls = [world.base + "/", world.base + "/guardian/runs", world.urls["test-results"], world.base + "/login",
            world.other_url]
    for url in urls:
        response = page.goto(url)
        assert response is not None
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "default-src 'none'" in csp and world.stack.moto_url in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"  # own form posts carry their Origin
        assert "<script>" not in page.content()  # no inline script anywhere
    static = page.goto(world.stack.api_url + page.locator("link[rel=stylesheet]").get_attribute("href"))
    assert static is not None and "immutable" in static.headers["cache-control"]


def test_overview_lists_projects_with_their_latest_runs(tab: Tab, world: World):
    page = tab.sign_in()
    row = page.locator("table.overview tbody tr", has_text="shop-web")
    text = row.inner_text()
    assert "8 diagnostics, 3 errors" in text and "2 edits in 2 files" in text and "4 of 6 tests passed" in text
    assert row.locator("svg.spark").count() == 3
    assert "4 runs" in text  # the earlier analyses make the Insight trend
    spark = row.locator("svg.spark").first.get_attribute("aria-label")
    assert spark is not None and spark.endswith(": 2, 4, 6, 8")
    shoot(page, "overview")


@pytest.mark.parametrize("product, expect", [
    ("insight", ["Diagnostics by severity per analysis", "error", "warning"]),
    ("autopilot", ["Autopilot success over runs", "success rate %"]),
    ("guardian", ["Guardian pass rate per test run", "Lighthouse category scores per report", "performance"]),
])
def test_runs_list_with_stats_trend_and_filters(tab: Tab, world: World, product: str, expect: list[str]):
    page = tab.sign_in(start=f"{world.base}/{product}/runs")
    assert page.locator("table.runs tbody tr").count() >= 1
    for word in expect:
        assert page.locator("svg.chart").filter(has_text=word).count() >= 1, word
    assert page.locator("svg.chart title").count() == page.locator("svg.chart").count()
    assert page.locator("figure.trend details table").count() == page.locator("svg.chart").count()
    shoot(page, f"{product}-runs")
    if product == "guardian":
        page.select_option("#f-status", "failed")
        page.wait_for_url(re.compile(r"status=failed"))
        assert [r.inner_text() for r in page.locator("table.runs tbody tr td:nth-child(5)").all()] == ["failed"]
        page.goto(f"{world.base}/guardian/runs?from=not-a-date")
        assert page.inner_text("h1") == "That did not work"
        assert page.goto(f"{world.base}/guardian/runs?cursor=bogus").status == 400


def test_runs_list_pages_with_a_cursor(tab: Tab, world: World):
    export = (world.workspace / ".odavl" / "problems-panel-export.json").read_bytes()
    data = base64.b64encode(gzip.compress(export)).decode()
    for n in range(26):
        sent = world.api("POST", "/v1/upload/insight", headers_extra={"Idempotency-Key": f"paged-{n}"}, json={
            "type": "analysis-results", "projectId": "paged", "compressed": True, "data": data})
        assert sent.status_code == 201, sent.text
    page = tab.sign_in(start=f"{world.base}/insight/runs?project=paged")
    first = page.locator("table.runs tbody tr td:nth-child(2)").all_inner_texts()
    assert len(first) == 25
    with page.expect_navigation():
        page.click("text=Older runs")
    second = page.locator("table.runs tbody tr td:nth-child(2)").all_inner_texts()
    assert len(second) == 1 and not set(first) & set(second), (page.url, page.inner_text("main")[:3000])
    assert "project=paged" in page.url and "Runs26" in page.inner_text(".cards").replace("\n", "")


def test_axe_finds_no_critical_or_serious_violation_on_any_page(browser: Any, world: World):
    pages = {"login": world.base + "/login", "overview": world.base + "/", "insight-runs": world.base + "/insight/runs",
             "autopilot-runs": world.base + "/autopilot/runs", "guardian-runs": world.base + "/guardian/runs",
             "insight-run": world.urls["analysis-results"], "insight-grouped": world.urls["analysis-results"] + "?group=file",
             "autopilot-run": world.urls["ledger"], "guardian-run": world.urls["test-results"],
             "lighthouse-run": world.urls["lighthouse-report"], "accessibility-run": world.urls["accessibility-report"],
             "snapshot-run": world.urls["snapshot"], "recipe-trust-run": world.urls["recipe-trust"],
             "detector-run": world.urls["detector-error-signatures"], "not-found": world.other_url}
    found: dict[str, Any] = {}
    tab = Tab(browser, world, bypass_csp=True)  # only to inject axe-core; the pages' own CSP is tested above
    try:
        tab.page.goto(world.base + "/login")
        assert axe_violations(tab.page) == []
        tab.sign_in()
        for name, url in pages.items():
            if name == "login":
                continue
            tab.page.goto(url)
            if name == "guardian-run":  # and the full-size page of a screenshot
                tab.page.goto(world.stack.api_url + tab.page.locator("a.thumb").nth(0).get_attribute("href"))
                found.update({"screenshot": p} if (p := axe_violations(tab.page)) else {})
                tab.page.goto(url)
            problems = axe_violations(tab.page)
            if problems:
                found[name] = problems
    finally:
        tab.close()
    assert found == {}


def test_every_page_works_without_javascript(browser: Any, world: World, tmp_path):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(world.urls["analysis-results"])
        page.fill("input[name=apiKey]", world.cli.key)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == world.urls["analysis-results"]
        page.select_option("#f-sev", "warning")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")  # no auto-submit without JavaScript: the button
        assert "severity=warning" in page.url and page.locator("tr.issue").count() == 3
        page.goto(world.urls["test-results"])
        with page.expect_navigation():
            page.locator("a.thumb").nth(0).click()  # full size: a page of its own
        assert "/screenshots/" in page.url
        page.wait_for_function("() => { const i = document.querySelector('img.full'); return i && i.naturalWidth > 0 }")
        with page.expect_navigation():
            page.click("text=Sign out")
        assert "You are signed out." in page.inner_text("main")
    finally:
        context.close()


def test_the_time_range_filter(tab: Tab, world: World):
    page = tab.sign_in()
    today = page.evaluate("() => new Date().toISOString().slice(0, 10)")
    page.goto(f"{world.base}/autopilot/runs?from={today}&type=ledger")
    assert page.locator("table.runs tbody tr").count() == 1
    page.goto(f"{world.base}/autopilot/runs?to=2020-01-01")
    assert page.locator("table.runs tbody tr").count() == 0 and "No runs match" in page.inner_text("main")
    page.goto(f"{world.base}/autopilot/runs?from=2999-01-01")
    assert page.locator("table.runs tbody tr").count() == 0


def test_odavl_dashboard_opens_the_browser_and_needs_a_login(world: World, tmp_path):
    opened = tmp_path / "opened"
    result = run_odavl("dashboard", env={**world.cli.env(), "BROWSER": f"/bin/sh -c 'printf %s > {opened}'"})
    assert result.code == 0, result.output
    assert "Opened in your browser." in result.stdout
    assert opened.read_text().startswith(world.base + "/login/") and opened.read_text() in result.stdout
    nobody = run_odavl("dashboard", "--no-open", env={"ODAVL_HOME": str(tmp_path / "nobody"),
                                                      "ODAVL_CLOUD_API": world.stack.api_url})
    assert nobody.code == 5 and "Not logged in" in nobody.stderr
