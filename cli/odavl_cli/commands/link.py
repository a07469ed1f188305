"""``odavl link``: tie a workspace to a cloud project, so later commands need no --project."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from odavl_cli import config
from odavl_cli.client import CliError
from odavl_cli.ui import JsonFlag, console, print_json
from odavl_cli.workspace import find_workspace


def link(
    project: Annotated[Optional[str], typer.Option("--project", help="the cloud project id this workspace uploads to")] = None,
    api_url: Annotated[Optional[str], typer.Option("--api-url", help="the API URL to keep with it (default: the current one)")] = None,
    show: Annotated[bool, typer.Option("--show", help="print the workspace's link")] = False,
    workspace: Annotated[Optional[Path], typer.Option("--workspace", "-w", help="directory holding .odavl/")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write .odavl/cloud.json (project id and API URL, never a key); uploads and listings then use it."""
    root = workspace.resolve() if workspace else find_workspace()
    path = root / config.LINK_FILE
    if show or not project:
        data = config.read_link(root)
        if as_json:
            print_json({**data, "path": str(path)})
        elif data:
            console.print(f"{escape(str(root))} → project [bold]{escape(str(data.get('projectId')))}[/]"
                          f" at {escape(str(data.get('apiUrl')))} ({escape(str(path))})")
        else:
            console.print(f"{escape(str(root))} is not linked; run `odavl link --project <id>`.")
        return
    if not (root / ".odavl").is_dir():
        raise CliError(f"{root} has no .odavl/ folder: run this in a workspace of the ODAVL tools (or pass -w).")
    data = {"projectId": project, "apiUrl": (api_url or config.load(workspace=root).api_url).rstrip("/")}
    path.write_text(json.dumps(data, indent=2) + "\n")
    if as_json:
        print_json({**data, "path": str(path)})
    else:
        console.print(f"Linked {escape(str(root))} to project [bold]{escape(project)}[/] ({escape(str(path))})")


def register(app: typer.Typer) -> None:
    app.command("link")(link)
