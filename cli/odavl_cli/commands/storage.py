"""``odavl storage upload|ls|download|rm|stats``: generic file storage."""
from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

import httpx
import typer

from odavl_cli.client import CliError, error_from_response
from odavl_cli.ui import api, console, handle_errors, human_bytes, print_json, table

app = typer.Typer(help="Files kept in ODAVL Cloud storage.", no_args_is_help=True)


@app.command("upload")
@handle_errors
def upload(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    content_type: str = typer.Option(None, "--content-type"),
    project: str = typer.Option(None, "--project"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Upload a file straight to storage with a presigned URL."""
    data = file.read_bytes()
    ctype = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    body: dict[str, Any] = {"fileName": file.name, "contentType": ctype, "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()}
    if project:
        body["projectId"] = project
    with api() as client:
        grant = client.post("/v1/storage/upload-url", json=body) or {}
        url = grant.get("url") or grant.get("uploadUrl")
        if grant.get("status") != "exists" and url:
            try:
                if grant.get("fields") is not None or str(grant.get("method", "")).upper() == "POST":
                    response = client.raw.post(url, data=grant.get("fields") or {}, files={"file": (file.name, data, ctype)})
                else:
                    response = client.raw.put(url, content=data, headers=grant.get("headers") or {"Content-Type": ctype})
            except httpx.HTTPError as exc:
                raise CliError(f"Upload to storage failed: {exc}", retryable=True) from None
            if response.status_code >= 300:
                raise error_from_response(response)
        file_id = grant.get("fileId")
        if grant.get("completeUrl") or grant.get("confirm"):
            grant = client.post(f"/v1/storage/files/{file_id}/complete") or grant
    if as_json:
        print_json(grant)
    else:
        console.print(f"[green]✓[/] {file.name} stored as {file_id} ({human_bytes(len(data))})")


@app.command("ls")
@handle_errors
def ls(
    limit: int = typer.Option(50, "--limit"),
    cursor: str = typer.Option(None, "--cursor"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List stored files."""
    with api() as client:
        page = client.get("/v1/storage/files", params={"limit": limit, "cursor": cursor})
    if as_json:
        print_json(page)
        return
    table("Files", ["id", "name", "size", "type", "created"], [
        [f.get("fileId"), f.get("fileName"), human_bytes(f.get("size")), f.get("contentType"), f.get("createdAt")]
        for f in page.get("items", [])])
    if page.get("nextCursor"):
        console.print(f"More: --cursor {page['nextCursor']}")


@app.command("download")
@handle_errors
def download(
    file_id: str,
    output: Path = typer.Option(None, "--output", "-o", help="where to write (default: the stored file name)"),
) -> None:
    """Download a stored file."""
    with api() as client:
        grant = client.get(f"/v1/storage/files/{file_id}/download-url")
        try:
            response = client.raw.get(grant["url"])
        except httpx.HTTPError as exc:
            raise CliError(f"Download failed: {exc}", retryable=True) from None
        if response.status_code >= 300:
            raise error_from_response(response)
    target = output or Path(grant.get("fileName") or file_id)
    target.write_bytes(response.content)
    console.print(f"[green]✓[/] {file_id} → {target} ({human_bytes(len(response.content))})")


@app.command("rm")
@handle_errors
def rm(file_id: str) -> None:
    """Delete a stored file."""
    with api() as client:
        client.delete(f"/v1/storage/files/{file_id}")
    console.print(f"Deleted {file_id}.")


@app.command("stats")
@handle_errors
def stats(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Storage used, file count and the plan's limit."""
    with api() as client:
        data = client.get("/v1/storage/stats")
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        shown = human_bytes(value) if key.lower().endswith("bytes") and isinstance(value, int) else value
        console.print(f"{key:>16}: {shown}")
