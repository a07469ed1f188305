"""``odavl storage upload|ls|download|rm|stats``: generic file storage."""
from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from odavl_cli.client import CliError, error_from_response
from odavl_cli.ui import recall_cursor, remember_cursor, JsonFlag, api, console, human_bytes, print_json, table

def guess_content_type(name: str) -> str:
    """The content type of a file by its name; a gzip'd file (``.tar.gz``, ``.json.gz``) is gzip."""
    guessed, encoding = mimetypes.guess_type(name)
    if encoding == "gzip":
        return "application/gzip"
    return guessed or "application/octet-stream"


app = typer.Typer(help="Files kept in ODAVL Cloud storage.", no_args_is_help=True)


@app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    content_type: Annotated[str | None, typer.Option("--content-type", help="default: guessed from the file name")] = None,
    product: Annotated[str | None, typer.Option("--product", help="insight | autopilot | guardian")] = None,
    expires_at: Annotated[str | None, typer.Option("--expires-at", help="ISO-8601: delete the file after this moment")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Upload a file straight to storage with a presigned POST, then have the server verify it."""
    data = file.read_bytes()
    ctype = content_type or guess_content_type(file.name)
    body: dict[str, Any] = {"fileName": file.name, "contentType": ctype, "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()}
    if product:
        body["product"] = product
    if expires_at:
        body["fileExpiresAt"] = expires_at
    with api() as client:
        grant = client.post("/v1/storage/upload-url", json=body)
        try:
            response = client.raw.post(grant["url"], data=grant.get("fields") or {}, files={"file": (file.name, data, ctype)})
        except httpx.HTTPError as exc:
            raise CliError(f"Upload to storage failed: {exc}", retryable=True) from None
        if response.status_code >= 300:
            raise CliError(f"Storage refused the upload: HTTP {response.status_code}", status=response.status_code)
        stored = client.post(f"/v1/storage/files/{grant['fileId']}/complete")
    if as_json:
        print_json(stored)
    else:
        console.print(f"[green]✓[/] {escape(file.name)} stored as {stored['fileId']} ({human_bytes(stored.get('size'))})")


@app.command("ls")
def ls(
    product: Annotated[str | None, typer.Option("--product")] = None,
    content_type: Annotated[str | None, typer.Option("--content-type")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="file names starting with this")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    next_page: Annotated[bool, typer.Option("--next", help="the page after the one this command showed last")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List stored files."""
    if next_page:
        cursor = recall_cursor("storage ls")
    with api() as client:
        page = client.get("/v1/storage/files", params={"product": product, "contentType": content_type,
                                                         "prefix": prefix, "limit": limit, "cursor": cursor})
    if as_json:
        print_json(page)
        return
    table("Files", ["id", "name", "size", "type", "created"], ids=1, rows=[
        [f.get("fileId"), f.get("fileName"), human_bytes(f.get("size")), f.get("contentType"), f.get("createdAt")]
        for f in page.get("items", [])])
    remember_cursor("storage ls", page.get("nextCursor"))
    if page.get("nextCursor"):
        console.print("More: odavl storage ls --next")


@app.command("download")
def download(
    file_id: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="where to write (default: the stored file name)")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="overwrite a file that is already there")] = False,
) -> None:
    """Download a stored file (an existing file is kept unless --force)."""
    if output is not None and output.exists() and not force:
        raise CliError(f"{output} exists; pass --force to overwrite it.")
    with api() as client:
        grant = client.get(f"/v1/storage/files/{file_id}/download-url")
        try:
            response = client.raw.get(grant["url"])
        except httpx.HTTPError as exc:
            raise CliError(f"Download failed: {exc}", retryable=True) from None
        if response.status_code >= 300:
            raise error_from_response(response)
    target = output or Path(grant.get("fileName") or file_id)
    if target.exists() and not force:
        raise CliError(f"{target} exists; pass --force to overwrite it (or --output another path).")
    target.write_bytes(response.content)
    console.print(f"[green]✓[/] {escape(file_id)} → {escape(str(target))} ({human_bytes(len(response.content))})")


@app.command("rm")
def rm(file_id: str) -> None:
    """Delete a stored file."""
    with api() as client:
        client.delete(f"/v1/storage/files/{file_id}")
    console.print(f"Deleted {file_id}.")


@app.command("stats")
def stats(as_json: JsonFlag = False) -> None:
    """Storage used, file count and the plan's limit."""
    with api() as client:
        data = client.get("/v1/storage/stats")
    if as_json:
        print_json(data)
        return
    limit = data.get("planLimitBytes")
    percent = data.get("percentUsed")
    console.print(f"Files: {data.get('fileCount')} ({human_bytes(data.get('totalBytes'))})")
    att = data.get("attachments") or {}
    console.print(f"Run attachments: {att.get('count', 0)} ({human_bytes(att.get('bytes', 0))})")
    console.print(f"Used against the plan: {human_bytes(data.get('usedBytes'))} of "
                  f"{human_bytes(limit) if limit is not None else 'unlimited'}"
                  + (f" ({percent:.1f} %)" if percent is not None else ""))
    by_type = data.get("byContentType") or {}
    if by_type:
        table("By content type", ["content type", "files", "bytes"],
              [[k, v.get("count"), human_bytes(v.get("bytes"))] for k, v in sorted(by_type.items())])
