"""``odavl keys create|list|revoke``."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from odavl_cli.ui import JsonFlag, api, console, print_json, table

app = typer.Typer(help="API keys of the organization.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="a name to recognise the key by")],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="a scope to grant (repeat); default: the standard set")] = None,
    expires_at: Annotated[str | None, typer.Option("--expires-at", help="ISO-8601 expiry")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; its secret is shown once."""
    body: dict = {"name": name}
    if scope:
        body["scopes"] = scope
    if expires_at:
        body["expiresAt"] = expires_at
    with api() as client:
        created = client.post("/v1/api-keys", json=body)
    if as_json:
        print_json(created)
        return
    console.print(f"Created key [bold]{escape(created['name'])}[/] ({created['keyId']}), scopes: {', '.join(created['scopes'])}")
    console.print("Secret (shown once, store it now):")
    console.print(created["key"], soft_wrap=True)


@app.command("list")
def list_keys(as_json: JsonFlag = False) -> None:
    """List the organization's API keys (never their secrets)."""
    with api() as client:
        items = client.get("/v1/api-keys")["items"]
    if as_json:
        print_json(items)
        return
    table("API keys", ["id", "name", "prefix", "scopes", "created", "last used", "expires", "status"], [
        [k["keyId"], k["name"], k.get("prefix"), ", ".join(k.get("scopes", [])), k.get("createdAt"),
         k.get("lastUsedAt"), k.get("expiresAt") or "never", "revoked" if k.get("revokedAt") else "active"]
        for k in items], ids=1)


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key id (see `odavl keys list`)")]) -> None:
    """Revoke an API key; it stops working on its next request."""
    with api() as client:
        client.delete(f"/v1/api-keys/{key_id}")
    console.print(f"Revoked key {key_id}.")
