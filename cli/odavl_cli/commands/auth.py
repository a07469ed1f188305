"""login, logout, whoami."""
from __future__ import annotations

from typing import Annotated

import os

import typer
from rich.markup import escape

from odavl_cli import config
from odavl_cli.client import ApiClient, CliError
from odavl_cli.ui import JsonFlag, console, print_json


def check_organization(settings: config.Settings, who: dict) -> None:
    """ODAVL_ORGANIZATION_ID pins the organization: a key of another one is refused before anything is stored."""
    expected = settings.organization_id
    if expected and who.get("organizationId") != expected:
        raise CliError(f"This API key belongs to organization {who.get('organizationId')!r}, "
                       f"not {expected!r} (ODAVL_ORGANIZATION_ID).")


def login(
    api_url: Annotated[str | None, typer.Option("--api-url", help="ODAVL Cloud API URL (default: ODAVL_CLOUD_API or the stored one)")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="API key (default: ODAVL_API_KEY, else prompted)")] = None,
    project: Annotated[str | None, typer.Option("--project", help="default project id for uploads")] = None,
) -> None:
    """Check an API key with /v1/whoami and store it in ~/.odavl/credentials.json (mode 0600)."""
    settings = config.load(api_url=api_url, api_key=api_key, project_id=project)
    key = settings.api_key or typer.prompt("API key", hide_input=True)
    # Logging in replaces the stored organization: only ODAVL_ORGANIZATION_ID itself pins one here.
    pinned = os.environ.get("ODAVL_ORGANIZATION_ID") or None
    settings = config.Settings(settings.api_url, key, pinned, settings.project_id)
    with ApiClient(settings) as client:
        who = client.get("/v1/whoami")
    check_organization(settings, who)
    path = config.save_credentials(settings.api_url, key, who.get("organizationId"), project)
    console.print(f"[green]Logged in[/] to [bold]{escape(str(who.get('organizationName') or who.get('organizationId')))}[/] "
                  f"({who.get('plan')}) at {settings.api_url}; key {who.get('keyId')} stored in {path}")


def logout() -> None:
    """Forget the stored API key."""
    if config.delete_credentials():
        console.print("Logged out: credentials removed.")
    else:
        console.print("Not logged in.")


def whoami(as_json: JsonFlag = False) -> None:
    """Show the organization, key, scopes and plan of the current API key."""
    settings = config.load()
    with ApiClient(settings) as client:
        who = client.get("/v1/whoami")
    check_organization(settings, who)
    if as_json:
        print_json({**who, "apiUrl": settings.api_url})
        return
    console.print(f"Organization: [bold]{escape(str(who.get('organizationName')))}[/] ({who.get('organizationId')})")
    console.print(f"Plan:         {who.get('plan')}")
    console.print(f"Key:          {escape(str(who.get('keyName')))} ({who.get('keyId')})")
    console.print(f"Scopes:       {', '.join(who.get('scopes', []))}")
    console.print(f"API:          {settings.api_url}")


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)

