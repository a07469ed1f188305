"""``odavl dashboard``: a one-time sign-in link to the web dashboard, printed and opened, so nobody
pastes an API key into a browser."""
from __future__ import annotations

from typing import Annotated

import webbrowser
from urllib.parse import urlsplit

import typer

from odavl_cli import config
from odavl_cli.client import ApiClient, CliError
from odavl_cli.ui import JsonFlag, console, print_json


def _dashboard_path(target: str | None) -> str | None:
    """A page to land on: a dashboard URL the CLI printed, or a path below /dashboard."""
    if not target:
        return None
    path = urlsplit(target).path if "://" in target else target
    query = urlsplit(target).query
    if "/dashboard" in path:
        path = path.split("/dashboard", 1)[1] or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path + (f"?{query}" if query else "")


def dashboard(
    target: Annotated[str | None, typer.Argument(help="a dashboard URL or path to open after sign-in (default: the overview)")] = None,
    no_open: Annotated[bool, typer.Option("--no-open", help="print the link only")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Print and open a sign-in link for the web dashboard (works once, for five minutes)."""
    settings = config.load()
    with ApiClient(settings) as client:
        link = client.post("/v1/dashboard/login-links", json={"next": _dashboard_path(target)})
    if not isinstance(link, dict) or not link.get("url"):
        raise CliError("The server did not answer with a sign-in link.")
    opened = False
    if not no_open and not as_json:
        try:
            opened = webbrowser.open(link["url"])
        except webbrowser.Error:
            opened = False
    if as_json:
        print_json(link)
        return
    console.print(f"Sign-in link (works once, for {int(link.get('expiresIn', 300)) // 60} minutes):", soft_wrap=True)
    console.print(link["url"], soft_wrap=True, markup=False)
    if opened:
        console.print("Opened in your browser.")


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
