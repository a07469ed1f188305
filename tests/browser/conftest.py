"""Browser tests: Debian's Chromium driven by Playwright against the local stack, with results the
real ``odavl`` CLI uploaded. One stack and one browser per session; a new browser context per test."""
from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import FIXTURE_WORKSPACE, ROOT, Cli

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # the browser is Debian's, never a download

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (root in CI), and nothing that reaches for the network on its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
                 "--metrics-recording-only", "--disable-dev-shm-usage"]
SHOTS = ROOT / "build" / "dashboard"
XSS_MESSAGE = "<img src=x onerror=alert(1)>"
XSS_TEST = "</script><script>alert(1)</script>"
AXE_JS = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class World:
    """What the CLI uploaded, as the tests look it up: printed URLs by upload type, keys, orgs."""

    stack: Any
    cli: Cli
    urls: dict[str, str]
    run_ids: dict[str, str]
    other_url: str
    reader_key: str  # a key of the same organization without runs:read
    workspace: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"{self.stack.api_url}/dashboard"

    def api(self, method: str, path: str, key: str | None = None, headers_extra: dict[str, str] | None = None,
            **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.cli.key}", **(headers_extra or {})}
        return httpx.request(method, f"{self.stack.api_url}{path}", headers=headers, timeout=30, **kw)


def _hostile_workspace(target: Path) -> Path:
    """The sample workspace with the hostile strings a user could upload."""
    shutil.copytree(FIXTURE_WORKSPACE, target)
    odavl = target / ".odavl"
    export = json.loads((odavl / "problems-panel-export.json").read_text())
    export["diagnostics"]["src/api/orders.ts"].append(
        {"severity": "warning", "message": XSS_MESSAGE, "source": "eslint", "code": "no-xss", "line": 99, "column": 1})
    (odavl / "problems-panel-export.json").write_text(json.dumps(export))
    test_file = next((odavl / "guardian").glob("test-*.json"))
    tests = json.loads(test_file.read_text())
    tests["tests"].append({"name": XSS_TEST, "type": "e2e", "status": "passed", "duration": 12})
    test_file.write_text(json.dumps(tests))
    return target


def _upload(cli: Cli, workspace: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Upload as a person does and keep the URL each result printed (``✓ <product> <type> <file> (...) → <url>``)."""
    urls, run_ids = {}, {}
    for product in ("insight", "autopilot", "guardian"):
        out = cli(product, "upload", "--workspace", str(workspace))
        assert out.code == 0 and "0 queued, 0 failed" in out.stdout, out.output
        for line in out.stdout.splitlines():
            if " → " in line:
                words, url = line.split(" → ")
                upload_type = words.split()[2]
                urls[upload_type], run_ids[upload_type] = url.strip(), url.strip().rsplit("/", 1)[-1]
    return urls, run_ids


def _earlier_analyses(api_url: str, key: str, workspace: Path) -> None:
    """Three earlier analyses of the project with fewer diagnostics, so its trend has a shape."""
    export = json.loads((workspace / ".odavl" / "problems-panel-export.json").read_text())
    for n in (2, 4, 6):
        kept, left = {}, n
        for path, diags in export["diagnostics"].items():
            kept[path], left = diags[:left], max(0, left - len(diags))
        raw = json.dumps({**export, "diagnostics": kept}).encode()
        sent = httpx.post(f"{api_url}/v1/upload/insight", timeout=30, headers={
            "Authorization": f"Bearer {key}", "Idempotency-Key": f"earlier-{n}"}, json={
            "type": "analysis-results", "projectId": "shop-web", "compressed": True,
            "data": base64.b64encode(gzip.compress(raw)).decode()})
        assert sent.status_code == 201, sent.text


@pytest.fixture(scope="session")
def world(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> World:
    """One organization with every kind of result uploaded by the CLI, another with one of its own."""
    org_id = f"dash-{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("dash-home")
    cli = Cli(stack, home, org_id, stack.create_org(org_id, "enterprise"))
    workspace = _hostile_workspace(tmp_path_factory.mktemp("ws") / "shop-web")
    _earlier_analyses(stack.api_url, cli.key, workspace)
    urls, run_ids = _upload(cli, workspace)
    other_id = f"other-{uuid.uuid4().hex[:8]}"
    other = Cli(stack, tmp_path_factory.mktemp("other-home"), other_id, stack.create_org(other_id, "enterprise"))
    other_out = other.json("insight", "upload", "--workspace", str(FIXTURE_WORKSPACE))
    other_url = next(e["url"] for e in other_out["uploaded"] if e["type"] == "analysis-results")
    made = httpx.post(f"{stack.api_url}/v1/api-keys", headers={"Authorization": f"Bearer {cli.key}"},
                      json={"name": "uploader", "scopes": ["insight:write"]}, timeout=30)
    assert made.status_code == 201, made.text
    return World(stack, cli, urls, run_ids, other_url, made.json()["key"], workspace)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; Playwright never downloads one."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "install Debian's chromium package (apt-get install chromium)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        yield launched
        launched.close()


class Tab:
    """A page in a fresh context that records every JavaScript dialog (none may ever open)."""

    def __init__(self, browser: Any, world: World, bypass_csp: bool = False) -> None:
        self.world = world
        self.context = browser.new_context(bypass_csp=bypass_csp, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def sign_in(self, key: str | None = None, start: str | None = None) -> Any:
        """Through the form, from ``start`` (a dashboard URL) or the sign-in page."""
        page = self.page
        page.goto(start or f"{self.world.base}/login")
        page.fill("input[name=apiKey]", key or self.world.cli.key)
        with page.expect_navigation():
            page.click("button[type=submit]")
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, world: World) -> Iterator[Tab]:
    t = Tab(browser, world)
    yield t
    t.close()
    assert t.dialogs == [], f"a dialog opened: {t.dialogs}"
    refused = [e for e in t.console_errors if "Content Security Policy" in e]
    assert refused == [], f"the page broke its own CSP: {refused}"  # no inline style or script slipped in


def shoot(page: Any, name: str) -> Path:
    """A full-page PNG of what a person sees, under build/dashboard/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's critical and serious violations on the page as it is now."""
    page.add_script_tag(content=AXE_JS)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe-core did not check the page"
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v.get("impact") in ("critical", "serious")]
