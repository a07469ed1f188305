"""The account pages in a real browser against the local stack: usage bars against ``GET /v1/usage``, API
keys created (the secret shown once), used with the CLI and revoked, files downloaded and deleted (gone over
HTTP and in S3), ingest jobs retried and cancelled, and forged posts that change nothing."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Tab, World, axe_violations, shoot
from tests.cli.conftest import ROOT, Cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

STAGING_BUCKET = "odavl-dev-payloads"
PAYLOAD = {"exportedAt": "2026-11-22T10:00:00.000Z", "workspaceRoot": "/work/app", "totalFiles": 1,
           "totalDiagnostics": 1, "diagnostics": {"/work/app/src/main.py": [
               {"file": "/work/app/src/main.py", "severity": "warning", "message": "unused import", "line": 1,
                "column": 1, "code": "F401", "source": "ruff"}]}}


def _in_stack(world: World, code: str) -> Any:
    """Run service code in a process configured like the stack's; the JSON its last line prints."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=world.stack.env(), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _wait_job(world: World, job_id: str, statuses: tuple[str, ...], deadline_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + deadline_s
    while True:
        job = world.api("GET", f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def _tables_hold(world: World, text: str) -> list[str]:
    """The DynamoDB tables of the stack holding ``text`` anywhere in an item."""
    ddb = world.stack.client("dynamodb")
    found = []
    for name in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=name):
            if text in json.dumps(page.get("Items", []), default=str):
                found.append(name)
                break
    return found


# ---- usage -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def free_org(world: World, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A FREE organization at 80 % of its Insight analyses, 90 % of its Guardian tests and 100 % of its
    Autopilot runs, with two earlier months of usage; its admin key is its only key."""
    org_id = f"free-{uuid.uuid4().hex[:8]}"
    cli = Cli(world.stack, tmp_path_factory.mktemp("free-home"), org_id, world.stack.create_org(org_id, "free"))
    for metric, amount in (("insight_analyses", 8), ("guardian_tests", 18), ("autopilot_runs", 5)):
        sent = world.api("POST", "/v1/usage/increment", key=cli.key,
                         json={"metric": metric, "amount": amount, "eventId": f"setup-{metric}"})
        assert sent.status_code == 200, sent.text
    _in_stack(world, (
        "import json\nfrom chalicelib.services.usage import periods\nfrom chalicelib.store import usage\n"
        "earlier = periods.recent_periods(3)[1:]\n"
        f"for n, period in enumerate(earlier):\n"
        f"    usage.consume({org_id!r}, 'api_calls', 40 + 10 * n, None, period)\n"
        f"    usage.consume({org_id!r}, 'insight_analyses', 3 + n, None, period)\n"
        "print(json.dumps(earlier))\n"))
    return cli


def test_usage_bars_match_the_api(tab: Tab, world: World, free_org: Cli):
    page = tab.sign_in(key=free_org.key, start=f"{world.base}/usage")
    assert page.url == f"{world.base}/usage"
    api = world.api("GET", "/v1/usage", key=free_org.key).json()
    assert page.locator(".quota-item").count() == len(api["metrics"]) == 5
    for metric, m in api["metrics"].items():
        item = page.locator(f".quota-item[data-metric={metric}]")
        used = item.locator(".quota-used").inner_text()
        limit = item.locator(".quota-limit").inner_text()
        if metric == "storage_bytes":
            assert limit == "100.0 MiB"
        else:
            assert used == f"{m['used']:,}" and limit == f"{m['limit']:,}", metric
        assert item.locator(".quota-percent").inner_text() == f"{m['percent']:g} %", metric
        level = f"quota-w{m['warning']}" if m["warning"] else "quota-ok"
        assert level in (item.get_attribute("class") or ""), metric
        assert item.locator("svg.bar").get_attribute("aria-label").startswith(item.locator(".quota-name").inner_text())
    words = {m: page.locator(f".quota-item[data-metric={m}] .quota-warning").inner_text()
             for m in ("insight_analyses", "guardian_tests", "autopilot_runs")}
    assert words["insight_analyses"].startswith("80 % used") and words["guardian_tests"].startswith("90 % used")
    assert words["autopilot_runs"].startswith("Quota reached")
    assert page.locator(".quota-item[data-metric=api_calls] .quota-warning").count() == 0
    assert "Autopilot runs" in page.inner_text("[role=alert]")  # the quota reached, named at the top
    assert "FREE" in page.inner_text(".facts") and api["resetsAt"][:10] in page.inner_text(".facts")
    # the bar's fill is the used share
    fill = page.locator(".quota-item[data-metric=guardian_tests] svg.bar rect.fill").get_attribute("width")
    assert float(fill) == pytest.approx(400 * 0.9)
    # past months: the chart and its table match /v1/usage/history
    history = world.api("GET", "/v1/usage/history?months=12", key=free_org.key).json()["items"]
    assert len(history) == 3
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 3
    for i, item in enumerate(history):
        cells = rows.nth(i).inner_text()
        assert item["period"] in cells and f"{item['metrics']['api_calls']:,} / 100" in cells
    assert page.locator("svg#usage-history, svg.chart").count() == 1
    assert "3 months" in page.locator("svg.chart desc").text_content()
    assert "odavl sync process-queue" in page.inner_text("section[aria-labelledby=quota-h]")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Usage"
    shoot(page, "usage")


def test_the_last_admin_key_cannot_be_revoked(tab: Tab, world: World, free_org: Cli):
    page = tab.sign_in(key=free_org.key, start=f"{world.base}/keys")
    rows = page.locator("tr.key")
    assert rows.count() == 1 and "(this session)" in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.locator("a", has_text="Revoke").click()
    assert "you will be signed out" in page.inner_text("main")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button.danger")
    assert posted.value.status == 409
    assert "last active key with keys:admin" in page.inner_text("[role=alert]")
    assert world.api("GET", "/v1/whoami", key=free_org.key).status_code == 200  # still works
    assert page.locator("tr.key").filter(has_text="active").count() == 1
    shoot(page, "keys-last-admin")


# ---- keys ------------------------------------------------------------------------------------------

def test_a_key_made_on_the_page_shows_its_secret_once_works_with_the_cli_and_is_revoked(tab: Tab, world: World):
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=world.stack.api_url)
    page = tab.sign_in(start=f"{world.base}/keys")
    assert page.inner_text("h1") == "API keys"
    shoot(page, "keys")
    page.fill("#k-name", "ci from the dashboard")
    page.uncheck("input[name=scopes][value='jobs:write']")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.new-key button[type=submit]")
    assert posted.value.status == 201
    assert posted.value.headers["cache-control"] == "no-store"
    secret = page.input_value("#secret")
    assert re.fullmatch(r"odavl_[A-Za-z0-9]+_[A-Za-z0-9_-]+", secret), secret
    page.click("button.copy")  # the copy button (shown by the script)
    page.wait_for_function("() => document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    shoot(page, "key-created")
    key_id = page.inner_text(".facts div:first-child dd")
    assert "jobs:write" not in page.inner_text(".facts") and "runs:read" in page.inner_text(".facts")
    # never again: not on the list, not on the revoke page, not stored anywhere
    page.goto(f"{world.base}/keys")
    row = page.locator(f"tr.key[data-key-id='{key_id}']")
    assert "ci from the dashboard" in row.inner_text() and "never" in row.inner_text()
    assert secret not in page.content() and secret[len(f"odavl_{key_id}_"):] not in page.content()
    assert _tables_hold(world, secret) == [] and _tables_hold(world, secret.rsplit("_", 1)[-1]) == []
    # the CLI works with it
    user = Cli(world.stack, world.cli.home.parent / f"home-{key_id}", world.cli.org_id, secret)
    whoami = user("whoami", "--json")
    assert whoami.code == 0, whoami.output
    assert json.loads(whoami.stdout)["keyName"] == "ci from the dashboard"
    listed = user("runs", "list", "insight", "--json")
    assert listed.code == 0, listed.output
    page.goto(f"{world.base}/keys")
    assert "never" not in page.locator(f"tr.key[data-key-id='{key_id}'] td:nth-child(5)").inner_text()  # last used
    # revoke: a confirmation step, then the CLI is refused
    with page.expect_navigation():
        page.locator(f"tr.key[data-key-id='{key_id}'] a", has_text="Revoke").click()
    assert "Revoke the key" in page.inner_text("h1") and secret not in page.content()
    shoot(page, "key-revoke-confirm")
    assert world.api("GET", "/v1/whoami", key=secret).status_code == 200  # not yet: only asked
    with page.expect_navigation():
        page.click("button.danger")
    assert "is revoked" in page.inner_text("[role=status]")
    assert "revoked" in page.locator(f"tr.key[data-key-id='{key_id}']").inner_text()
    refused = user("whoami")
    assert refused.code == 1 and "revoked" in refused.output.lower(), refused.output
    assert "Traceback" not in refused.output


def test_a_bad_key_form_is_a_400_page_that_keeps_what_was_typed(tab: Tab, world: World):
    page = tab.sign_in(start=f"{world.base}/keys")
    page.fill("#k-name", "   ")
    page.evaluate("() => document.getElementById('k-name').removeAttribute('required')")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.new-key button[type=submit]")
    assert posted.value.status == 400 and "was not created" in page.inner_text("[role=alert]")
    page.fill("#k-name", "<b>bold</b> name")
    for box in page.locator("input[name=scopes]:not([disabled])").all():
        box.uncheck()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.new-key button[type=submit]")
    assert posted.value.status == 400 and "at least one scope" in page.inner_text("[role=alert]")
    assert page.input_value("#k-name") == "<b>bold</b> name" and page.locator("#main b").count() == 0


def test_a_key_without_keys_admin_gets_no_keys_page(tab: Tab, world: World):
    page = tab.sign_in(key=world.reader_key)
    response = page.goto(f"{world.base}/keys")
    assert response is not None and response.status == 403
    assert "lacks the 'keys:admin' scope" in page.inner_text("main")


# ---- storage ---------------------------------------------------------------------------------------

@pytest.fixture
def stored(world: World, tmp_path) -> dict[str, Any]:
    """A file stored through the CLI, as its owner does."""
    path = tmp_path / f"report-{uuid.uuid4().hex[:6]}.csv"
    path.write_bytes(b"name,score\n<script>alert(1)</script>,3\n" * 50)
    out = world.cli.json("storage", "upload", str(path))
    return {**out, "bytes": path.read_bytes(), "name": path.name}


def test_storage_lists_downloads_and_deletes_a_file(tab: Tab, world: World, stored: dict[str, Any]):
    file_id = stored["fileId"]
    page = tab.sign_in(start=f"{world.base}/storage")
    row = page.locator(f"tr.file[data-file-id='{file_id}']")
    assert stored["name"] in row.inner_text() and "text/csv" in row.inner_text() and "1.9 KiB" in row.inner_text()
    assert row.locator(".downloads").inner_text() == "0"
    # the stats add up, and the total is the usage page's storage figure
    sizes = [int(c.get_attribute("data-bytes")) for c in page.locator("table.storage-parts .part-size").all()]
    assert len(sizes) == 4 and sum(sizes[:3]) == sizes[3] and all(s > 0 for s in sizes)
    usage = world.api("GET", "/v1/usage").json()["metrics"]["storage_bytes"]["used"]
    stats = world.api("GET", "/v1/storage/stats").json()
    assert sizes[3] == usage == stats["usedBytes"] and sizes[0] == stats["totalBytes"]
    assert sizes[1] == stats["attachments"]["bytes"]
    shoot(page, "storage")
    # download: a presigned URL, the bytes as stored, counted
    with page.expect_download() as got:
        row.locator("button", has_text="Download").click()
    download = got.value
    assert download.suggested_filename == stored["name"]
    assert open(download.path(), "rb").read() == stored["bytes"]
    page.goto(f"{world.base}/storage")
    assert row.locator(".downloads").inner_text() == "1"
    # delete, with a confirmation step
    with page.expect_navigation():
        row.locator("a", has_text="Delete").click()
    assert stored["name"] in page.inner_text("h1") and "cannot be undone" in page.inner_text("main")
    shoot(page, "storage-delete-confirm")
    with page.expect_navigation():
        page.click("button.danger")
    assert "The file was deleted" in page.inner_text("[role=status]")
    assert page.locator(f"tr.file[data-file-id='{file_id}']").count() == 0
    assert world.api("GET", f"/v1/storage/files/{file_id}/download-url").status_code == 404
    listed = world.api("GET", "/v1/storage/files?limit=100").json()["items"]
    assert file_id not in [f["fileId"] for f in listed]
    s3 = world.stack.client("s3")
    bucket = world.stack.resources.get("bucket") or next(v for k, v in world.stack.resources.items() if "bucket" in k.lower())
    left = s3.list_objects_v2(Bucket=bucket, Prefix=f"orgs/{world.cli.org_id}/files/{file_id}")
    assert left.get("KeyCount", 0) == 0
    after = world.api("GET", "/v1/storage/stats").json()
    assert after["usedBytes"] == stats["usedBytes"] - len(stored["bytes"])
    assert page.goto(f"{world.base}/storage/{file_id}/delete").status == 404


def test_a_file_name_is_shown_as_text(tab: Tab, world: World, tmp_path):
    path = tmp_path / "<img src=x onerror=alert(1)>.txt"
    path.write_text("hello")
    out = world.cli.json("storage", "upload", str(path))
    page = tab.sign_in(start=f"{world.base}/storage")
    name = page.locator(f"tr.file[data-file-id='{out['fileId']}'] .file-name").inner_text()
    assert "onerror" in name and page.locator("img[src='x']").count() == 0
    world.api("DELETE", f"/v1/storage/files/{out['fileId']}")


# ---- jobs ------------------------------------------------------------------------------------------

def _failed_job(world: World) -> tuple[str, str]:
    """A job whose uploaded object is missing: the worker fails it (staging_missing)."""
    upload_id = f"dash-job-{uuid.uuid4().hex[:8]}"
    key = f"orgs/{world.cli.org_id}/uploads/{upload_id}"
    job = _in_stack(world, (
        "import json\nfrom chalicelib.services import jobs\n"
        f"job = jobs.enqueue_ingest({world.cli.org_id!r}, 'ENTERPRISE', product='insight', upload_type='analysis-results',"
        f" project_id='jobs-project', metadata={{}}, s3_key={key!r}, size=1, sha256='0'*64, compressed=False,"
        f" idempotency_key=None, upload_id={upload_id!r})\nprint(json.dumps(job))\n"))
    done = _wait_job(world, job["jobId"], ("failed", "succeeded"))
    assert done["status"] == "failed" and done["error"]["code"] == "staging_missing", done
    return job["jobId"], key


def test_a_failed_job_shows_its_error_and_is_retried(tab: Tab, world: World):
    job_id, key = _failed_job(world)
    page = tab.sign_in(start=f"{world.base}/jobs?status=failed")
    row = page.locator(f"tr.job[data-job-id='{job_id}']")
    assert "staging_missing" in row.inner_text() and "no longer available" in row.inner_text()
    assert row.locator("button", has_text="Retry").count() == 1 and row.locator("button", has_text="Cancel").count() == 0
    shoot(page, "jobs")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.inner_text(".job-status") == "✗ failed" or "failed" in page.inner_text(".job-status")
    assert "The uploaded object is no longer available." in page.inner_text(".job-error")
    shoot(page, "job-failed")
    # the cause fixed (the object uploaded again), then retried from the page
    world.stack.client("s3").put_object(Bucket=STAGING_BUCKET, Key=key, Body=json.dumps(PAYLOAD).encode())
    with page.expect_navigation():
        page.click("text=Retry the job")
    assert "queued again" in page.inner_text("[role=status]")
    done = _wait_job(world, job_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    page.goto(f"{world.base}/jobs/{job_id}")
    assert "succeeded" in page.inner_text(".job-status") and page.locator("text=Retry the job").count() == 0
    with page.expect_navigation():
        page.click("text=the run it made")
    assert f"/insight/runs/{done['result']['runId']}" in page.url
    # a finished job cannot be retried again: a 409 page, nothing changed
    page.goto(f"{world.base}/jobs/{job_id}")
    csrf = page.locator("form[action$='/logout'] input[name=csrf]").get_attribute("value")
    again = tab.context.request.post(f"{world.base}/jobs/{job_id}/retry", form={"csrf": csrf},
                                     headers={"Origin": world.stack.api_url}, max_redirects=0)
    assert again.status == 409 and "Only a failed job can be retried" in again.text()
    assert world.api("GET", f"/v1/jobs/{job_id}").json()["status"] == "succeeded"


def test_a_queued_job_is_cancelled(tab: Tab, world: World):
    job_id = _in_stack(world, (
        "import json\nfrom chalicelib import clock, ids\nfrom chalicelib.store import jobs\n"
        "job_id = ids.sortable_id(); now = clock.iso()\n"
        f"jobs.put_job({{'orgId': {world.cli.org_id!r}, 'jobId': job_id, 'type': 'ingest', 'status': 'queued',"
        " 'attempts': 0, 'plan': 'ENTERPRISE', 'product': 'insight', 'uploadType': 'analysis-results',"
        " 'projectId': 'jobs-project', 'metadataJson': '{}', 's3Key': 'orgs/none/uploads/waiting', 'size': 1,"
        " 'sha256': '0' * 64, 'compressed': False, 'uploadId': 'waiting', 'createdAt': now, 'updatedAt': now})\n"
        "print(json.dumps(job_id))\n"))
    page = tab.sign_in(start=f"{world.base}/jobs?status=queued")
    row = page.locator(f"tr.job[data-job-id='{job_id}']")
    assert row.locator("button", has_text="Retry").count() == 0
    with page.expect_navigation():
        row.locator("button", has_text="Cancel").click()
    assert "cancelled" in page.inner_text("[role=status]") and "cancelled" in page.inner_text(".job-status")
    assert world.api("GET", f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
    assert page.goto(f"{world.base}/jobs?status=bogus").status == 400
    assert page.goto(f"{world.base}/jobs/0123456789abcdef0123456789").status == 404


# ---- forged posts ----------------------------------------------------------------------------------

def test_a_forged_post_changes_nothing(browser: Any, tab: Tab, world: World, stored: dict[str, Any]):
    made = world.api("POST", "/v1/api-keys", json={"name": "target", "scopes": ["runs:read"]})
    assert made.status_code == 201
    target_key, file_id = made.json()["keyId"], stored["fileId"]
    job_id, _ = _failed_job(world)
    page = tab.sign_in(start=f"{world.base}/keys")
    csrf = page.locator("form.new-key input[name=csrf]").get_attribute("value")
    assert csrf
    own = world.stack.api_url
    actions = {f"/keys/{target_key}/revoke": {}, f"/storage/{file_id}/delete": {}, f"/jobs/{job_id}/retry": {},
               "/keys": {"name": "forged", "scopes": "runs:read"}}
    cases = [("no token", {}, {"Origin": own}), ("wrong token", {"csrf": csrf[:-2] + "xx"}, {"Origin": own}),
             ("wrong Origin", {"csrf": csrf}, {"Origin": "https://evil.example"}),
             ("null Origin", {"csrf": csrf}, {"Origin": "null"}),
             ("foreign Referer, no Origin", {"csrf": csrf}, {"Referer": "https://evil.example/page"}),
             ("neither Origin nor Referer", {"csrf": csrf}, {})]
    for path, extra in actions.items():
        for name, form, headers in cases:
            reply = tab.context.request.post(world.base + path, form={**extra, **form}, headers=headers, max_redirects=0)
            assert reply.status == 403, (path, name, reply.status)
            assert "nothing was changed" in reply.text(), (path, name)
    # a page of another origin (moto's server: same site, other port) posting in the person's browser, even
    # with the session's token in hand: the cookie goes along, the Origin gives it away
    s3 = world.stack.client("s3")
    s3.put_object(Bucket=STAGING_BUCKET, Key="forged/form.html", ContentType="text/html", Body=(
        f'<!doctype html><title>win a prize</title><form method="post" action="{world.base}/storage/{file_id}/delete">'
        f'<input name="csrf" value="{csrf}"><button>go</button></form>').encode())
    page.goto(s3.generate_presigned_url("get_object", Params={"Bucket": STAGING_BUCKET, "Key": "forged/form.html"}))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button")
    assert posted.value.status == 403 and posted.value.request.headers.get("origin") == world.stack.moto_url
    assert "nothing was changed" in page.inner_text("main")
    shoot(page, "forged-post")
    # nothing changed
    assert world.api("GET", "/v1/whoami", key=made.json()["key"]).status_code == 200
    assert world.api("GET", f"/v1/storage/files/{file_id}/download-url").status_code == 200
    assert world.api("GET", f"/v1/jobs/{job_id}").json()["status"] == "failed"
    names = [k["name"] for k in world.api("GET", "/v1/api-keys").json()["items"]]
    assert "forged" not in names
    # and the genuine post, from the page, works
    page.goto(f"{world.base}/keys/{target_key}/revoke")
    with page.expect_navigation():
        page.click("button.danger")
    assert world.api("GET", "/v1/whoami", key=made.json()["key"]).status_code == 401
    shown = tab.context.request.post(world.base + f"/keys/{target_key}/revoke", form={}, headers={"Origin": own},
                                     max_redirects=0)
    assert shown.status == 403
    refused = tab.page.goto(f"{world.base}/keys")
    assert refused is not None and refused.status == 200


def test_the_forged_post_page_looks_like_the_dashboard(tab: Tab, world: World):
    page = tab.sign_in()
    response = page.request.post(f"{world.base}/jobs/0123456789abcdef0123456789/retry", form={},
                                 headers={"Origin": world.stack.api_url}, max_redirects=0)
    assert response.status == 403
    page.set_content(response.text())
    assert page.inner_text("h1") == "Not allowed"


# ---- axe ---------------------------------------------------------------------------------------------

def test_axe_finds_no_critical_or_serious_violation_on_the_account_pages(browser: Any, world: World, free_org: Cli):
    job_id, _ = _failed_job(world)
    tab = Tab(browser, world, bypass_csp=True)  # only to inject axe-core; the pages' own CSP is tested elsewhere
    found: dict[str, Any] = {}
    try:
        tab.sign_in()
        listed = world.api("GET", "/v1/api-keys").json()["items"]
        other = next(k for k in listed if not k.get("revokedAt") and k["name"] == "uploader")
        pages = {"usage": "/usage", "keys": "/keys", "revoke-confirm": f"/keys/{other['keyId']}/revoke",
                 "storage": "/storage", "jobs": "/jobs", "jobs-failed": "/jobs?status=failed", "job": f"/jobs/{job_id}"}
        for name, rest in pages.items():
            tab.page.goto(world.base + rest)
            problems = axe_violations(tab.page)
            if problems:
                found[name] = problems
        tab.page.goto(world.base + "/keys")
        tab.page.fill("#k-name", "axe check")
        with tab.page.expect_navigation():
            tab.page.click("form.new-key button[type=submit]")
        if problems := axe_violations(tab.page):
            found["key-created"] = problems
        tab.context.clear_cookies()
        tab.sign_in(key=free_org.key, start=f"{world.base}/usage")  # bars with every warning level
        if problems := axe_violations(tab.page):
            found["usage-warnings"] = problems
        tab.page.set_viewport_size({"width": 360, "height": 740})  # a phone: the header's links wrap inside it
        tab.page.reload()
        if problems := axe_violations(tab.page):
            found["usage-phone"] = problems
        shoot(tab.page, "usage-phone")
    finally:
        tab.close()
    assert found == {}
