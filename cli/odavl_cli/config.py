"""Where the CLI finds its API URL, key, organization and project.

Precedence (highest first): command-line option, environment (ODAVL_CLOUD_API, ODAVL_API_KEY,
ODAVL_ORGANIZATION_ID, ODAVL_PROJECT_ID), ``$ODAVL_HOME/credentials.json`` (default ``~/.odavl``),
built-in default. The credentials file holds a secret, so it is written 0600 atomically."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_API_URL = "http://127.0.0.1:8000"


def home() -> Path:
    """The CLI's state directory (credentials, queue): ``$ODAVL_HOME`` or ``~/.odavl``."""
    env = os.environ.get("ODAVL_HOME")
    return Path(env).expanduser() if env else Path.home() / ".odavl"


def credentials_path() -> Path:
    return home() / "credentials.json"


@dataclass(frozen=True)
class Settings:
    api_url: str
    api_key: str | None
    organization_id: str | None
    project_id: str | None

    @property
    def logged_in(self) -> bool:
        return bool(self.api_key)


def read_credentials() -> dict[str, Any]:
    """The stored credentials, or {} when absent or unreadable (a broken file must not crash the CLI)."""
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_private_json(path: Path, data: Any) -> None:
    """Write JSON to ``path`` with mode 0600 via a temp file + rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_credentials(api_url: str, api_key: str, organization_id: str | None = None,
                     project_id: str | None = None) -> Path:
    data: dict[str, Any] = {"apiUrl": api_url.rstrip("/"), "apiKey": api_key}
    if organization_id:
        data["organizationId"] = organization_id
    if project_id:
        data["projectId"] = project_id
    path = credentials_path()
    write_private_json(path, data)
    return path


def delete_credentials() -> bool:
    try:
        credentials_path().unlink()
        return True
    except FileNotFoundError:
        return False


LINK_FILE = Path(".odavl") / "cloud.json"


def read_link(workspace: Path | None = None) -> dict[str, Any]:
    """The workspace's link to a cloud project (``.odavl/cloud.json``: projectId, apiUrl; never a
    secret), from ``workspace`` or the nearest directory above the current one that has ``.odavl/``."""
    here = (workspace or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".odavl").is_dir():
            try:
                data = json.loads((candidate / LINK_FILE).read_text())
            except (OSError, ValueError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def load(api_url: str | None = None, api_key: str | None = None, project_id: str | None = None,
         workspace: Path | None = None) -> Settings:
    """Resolve the settings: explicit arguments, then environment, then the workspace's link
    (project and API URL), then the credentials file."""
    stored = read_credentials()
    linked = read_link(workspace)

    def pick(explicit: str | None, env: str, key: str) -> str | None:
        return explicit or os.environ.get(env) or linked.get(key) or stored.get(key) or None

    url = pick(api_url, "ODAVL_CLOUD_API", "apiUrl") or DEFAULT_API_URL
    return Settings(
        api_url=url.rstrip("/"),
        api_key=pick(api_key, "ODAVL_API_KEY", "apiKey"),
        organization_id=pick(None, "ODAVL_ORGANIZATION_ID", "organizationId"),
        project_id=pick(project_id, "ODAVL_PROJECT_ID", "projectId"),
    )
