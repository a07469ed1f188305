"""The comparison and the quality gate as a person sees them: a main run and a branch run uploaded by the
real ``odavl`` with build context (ODAVL_BUILD_* set for the process), the branch run's page (its
baseline, gate failed with its reason, counts, new and fixed), the commit page across the tools and the
runs list's branch@commit and gate."""
from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import XSS_MESSAGE, Tab, World, axe_violations, shoot
from tests.cli.conftest import FIXTURE_WORKSPACE, Cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

MAIN = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0"
BRANCH = "f0e1d2c3b4a5f6e7d8c9f0e1d2c3b4a5f6e7d8c9"
WIDE = "c0ffee" * 6 + "c0ff"
TR, TR_BRANCH = "tr-20261122-101500-c3d4", "tr-20261201-090000-feat"


def _upload(cli: Cli, workspace: Path, commit: str, branch: str, ancestor: str | None = None) -> dict[str, str]:
    """The three tools' uploads of ``workspace`` as one build; the URL each result printed, by type."""
    env = {"ODAVL_BUILD_COMMIT": commit, "ODAVL_BUILD_BRANCH": branch, **({"ODAVL_BUILD_ANCESTOR": ancestor} if ancestor else {})}
    urls = {}
    for product in ("insight", "autopilot", "guardian"):
        out = cli(product, "upload", "--workspace", str(workspace), **env)
        assert out.code == 0, out.output
        for line in out.stdout.splitlines():
            if " → " in line:
                words, url = line.split(" → ")
                urls[words.split()[2]] = url.strip()
    return urls


@pytest.fixture(scope="module")
def builds(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[World, dict[str, str], dict[str, str]]:
    """main at MAIN; the branch at BRANCH (ancestor MAIN) fixes one error and adds an error and a warning,
    one of them with a message that is markup, and a test that passed on main fails."""
    org_id = f"cmp-{uuid.uuid4().hex[:8]}"
    cli = Cli(stack, tmp_path_factory.mktemp("cmp-home"), org_id, stack.create_org(org_id, "enterprise"))
    root = tmp_path_factory.mktemp("cmp-ws")
    main_ws, branch_ws = root / "main" / "shop-web", root / "feature" / "shop-web"
    shutil.copytree(FIXTURE_WORKSPACE, main_ws)
    main_urls = _upload(cli, main_ws, MAIN, "main")
    shutil.copytree(FIXTURE_WORKSPACE, branch_ws)
    export_path = branch_ws / ".odavl" / "problems-panel-export.json"
    export = json.loads(export_path.read_text())
    export["diagnostics"]["src/utils/format.ts"].pop(0)  # the one error there is fixed
    export["diagnostics"]["src/new.ts"] = [
        {"severity": "error", "message": "Object is possibly 'undefined'.", "code": "2532", "line": 4},
        {"severity": "warning", "message": XSS_MESSAGE, "code": "no-xss", "line": 9}]
    export_path.write_text(json.dumps(export))
    guardian = branch_ws / ".odavl" / "guardian"
    for old in list(guardian.glob(f"*{TR}*.json")):  # a test run of its own: a test breaks, performance drops 8
        data = json.loads(old.read_text())
        if old.name.startswith("test-"):
            data["testRunId"] = TR_BRANCH
            for test in data["tests"]:
                test["status"] = "failed" if test["name"] == "home page loads" else test["status"]
        if old.name.startswith("lighthouse-"):
            data["categories"]["performance"]["score"] = round(data["categories"]["performance"]["score"] - 0.08, 2)
        old.with_name(old.name.replace(TR, TR_BRANCH)).write_text(json.dumps(data))
        old.unlink()
    (guardian / "screenshots" / TR).rename(guardian / "screenshots" / TR_BRANCH)
    ledger_path = branch_ws / ".odavl" / "ledger" / "run-20261122-093000-a1b2.json"
    ledger = json.loads(ledger_path.read_text())
    ledger.update(runId="20261201-090000-feat", success=False, phase="verify", edits=ledger["edits"][1:])
    ledger_path.unlink()
    (ledger_path.parent / "run-20261201-090000-feat.json").write_text(json.dumps(ledger))
    branch_urls = _upload(cli, branch_ws, BRANCH, "feature", MAIN)
    wide_ws = root / "wide" / "shop-web"  # a third build: 45 new warnings, more than one page of them
    shutil.copytree(FIXTURE_WORKSPACE, wide_ws)
    export = json.loads((wide_ws / ".odavl" / "problems-panel-export.json").read_text())
    export["diagnostics"]["src/wide.ts"] = [{"severity": "warning", "message": f"Unused value number {i}.", "code": f"W{i:03d}",
                                             "line": i + 1} for i in range(45)]
    (wide_ws / ".odavl" / "problems-panel-export.json").write_text(json.dumps(export))
    out = cli("insight", "upload", "--workspace", str(wide_ws), ODAVL_BUILD_COMMIT=WIDE, ODAVL_BUILD_BRANCH="wide",
              ODAVL_BUILD_ANCESTOR=MAIN)
    assert out.code == 0, out.output
    branch_urls["wide"] = next(line.split(" → ")[1].strip() for line in out.stdout.splitlines() if "analysis-results" in line)
    made = World(stack, cli, branch_urls, {k: v.rsplit("/", 1)[-1] for k, v in branch_urls.items()}, "", "", branch_ws)
    return made, main_urls, branch_urls


def test_the_branch_run_shows_its_baseline_the_failed_gate_and_what_is_new(browser: Any, builds: Any) -> None:
    world, main_urls, branch_urls = builds
    tab = Tab(browser, world, bypass_csp=True)  # axe is injected as an inline script
    try:
        page = tab.sign_in(start=branch_urls["analysis-results"])
        assert page.url == branch_urls["analysis-results"]
        section = page.locator("section.comparison")
        text = section.inner_text()
        assert "Compared with its baseline" in text
        assert main_urls["analysis-results"].rsplit("/", 1)[-1] in text  # the main run is the baseline
        assert MAIN[:12] in text and "main" in text
        assert "the ancestor commit on the base branch (exact)" in text
        assert page.inner_text("#gate").startswith("Quality gate: failed")
        assert "1 new error (at most 0)" in section.locator("ul.reasons").inner_text()
        counts = section.locator("#cmp-counts").inner_text().lower()  # the labels are capitalised by CSS
        assert "new\n2" in counts and "fixed\n1" in counts and "new error\n1" in counts and "new warning\n1" in counts
        new_rows = section.locator("table.cmp-new tbody tr")
        assert new_rows.count() == 2
        assert XSS_MESSAGE in section.locator("table.cmp-new").inner_text()  # shown as text
        assert page.locator("img[src='x']").count() == 0
        assert "src/utils/format.ts" in section.locator("table.cmp-fixed").inner_text()
        baseline = section.locator("a", has_text=main_urls["analysis-results"].rsplit("/", 1)[-1])
        assert baseline.get_attribute("href") == main_urls["analysis-results"].removeprefix(world.stack.api_url)
        facts = page.locator("dl.facts").first.inner_text()
        assert "feature" in facts and BRANCH[:12] in facts
        assert axe_violations(page) == []
        shoot(page, "compare-insight-run")

        page.goto(branch_urls["test-results"])
        text = page.locator("section.comparison").inner_text()
        assert "1 test(s) newly failing" in text and "home page loads" in text
        assert "Before" in text and "passed" in text
        page.goto(branch_urls["lighthouse-report"])
        text = page.locator("section.comparison").inner_text()
        assert "performance vs baseline\n-8" in text.lower() and "Lighthouse performance down 8 points (at most 5)" in text
        shoot(page, "compare-lighthouse-run")

        page.goto(branch_urls["ledger"])
        counts = page.locator("#cmp-counts").inner_text().lower()
        assert "succeeded\nno" in counts and "baseline succeeded\nyes" in counts and "edits vs baseline\n-1" in counts

        page.goto(branch_urls["analysis-results"])
        with page.expect_navigation():
            page.locator("dl.facts a", has_text=BRANCH[:12]).first.click()
        assert f"/dashboard/commits/{BRANCH}?projectId=shop-web" in page.url
        assert page.inner_text("#commit-gate") == "failed"
        rows = page.locator("table.commit-runs tbody tr")
        seen = {(rows.nth(i).locator("td").nth(0).inner_text(), rows.nth(i).locator("td").nth(1).inner_text())
                for i in range(rows.count())}
        assert {("Insight", "analysis-results"), ("Autopilot", "ledger"), ("Guardian", "test-results"),
                ("Guardian", "lighthouse-report")} <= seen
        signatures = page.locator("table.commit-runs tr", has_text="detector-error-signatures").first.inner_text()
        assert "not compared" in signatures
        insight_row = page.locator("table.commit-runs tr", has_text="analysis-results").first.inner_text()
        assert "failed" in insight_row and "1 new error (at most 0)" in insight_row and "feature" in insight_row
        assert axe_violations(page) == []
        shoot(page, "compare-commit")
        assert tab.dialogs == []
    finally:
        tab.close()


def test_the_runs_list_shows_branch_commit_and_gate_and_main_has_no_baseline(browser: Any, builds: Any) -> None:
    world, main_urls, branch_urls = builds
    tab = Tab(browser, world, bypass_csp=True)  # axe is injected as an inline script
    try:
        page = tab.sign_in(start=f"{world.base}/insight/runs?type=analysis-results")
        branch_row = page.locator("table.runs tr", has_text=branch_urls["analysis-results"].rsplit("/", 1)[-1])
        assert f"feature@{BRANCH[:7]}" in branch_row.inner_text() and "failed" in branch_row.inner_text()
        link = branch_row.locator("a", has_text=f"feature@{BRANCH[:7]}")
        assert link.get_attribute("href").endswith(f"/dashboard/commits/{BRANCH}?projectId=shop-web")
        main_row = page.locator("table.runs tr", has_text=main_urls["analysis-results"].rsplit("/", 1)[-1])
        assert f"main@{MAIN[:7]}" in main_row.inner_text() and "no baseline" in main_row.inner_text()
        assert axe_violations(page) == []
        shoot(page, "compare-runs-list")

        page.goto(main_urls["analysis-results"])
        assert "No baseline" in page.locator("section.comparison").inner_text()
        assert page.inner_text("#gate").startswith("Quality gate: no baseline")
        response = page.goto(f"{world.base}/commits/{MAIN}")
        assert response is not None and response.status == 400
        response = page.goto(f"{world.base}/commits/not-a-commit?projectId=shop-web")
        assert response is not None and response.status == 404
    finally:
        tab.close()


def test_new_entries_come_a_page_at_a_time_and_a_gate_without_new_errors_passes(browser: Any, builds: Any) -> None:
    world, _, branch_urls = builds
    tab = Tab(browser, world)
    try:
        page = tab.sign_in(start=branch_urls["wide"])
        assert page.inner_text("#gate") == "Quality gate: passed"  # warnings are allowed by the default gate
        section = page.locator("section.comparison")
        assert "1–20 of 45" in section.locator("nav.pager").inner_text()
        assert section.locator("table.cmp-new tbody tr").count() == 20
        size = len(page.content().encode())
        assert size < 100 * 1024, size
        with page.expect_navigation():
            section.locator("nav.pager a[rel=next]").click()
        assert "cpage=2" in page.url
        assert "21–40 of 45" in page.inner_text("section.comparison nav.pager")
        assert "Unused value number" in page.inner_text("table.cmp-new")
        page.goto(branch_urls["wide"].split("?")[0] + "?cpage=3")
        assert page.locator("table.cmp-new tbody tr").count() == 5
        assert page.locator("section.comparison nav.pager a[rel=next]").count() == 0
        response = page.goto(branch_urls["wide"] + "?cpage=zero")
        assert response is not None and response.status == 400
    finally:
        tab.close()
