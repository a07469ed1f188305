"""Where settings come from: option > environment > credentials file > default; the file is 0600."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from odavl_cli import config


def test_defaults_without_anything(odavl_home: Path):
    settings = config.load()
    assert settings.api_url == config.DEFAULT_API_URL
    assert settings.api_key is None and not settings.logged_in
    assert settings.project_id is None and settings.organization_id is None


def test_odavl_home_moves_the_credentials(odavl_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    assert config.credentials_path() == odavl_home / "credentials.json"
    monkeypatch.delenv("ODAVL_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert config.credentials_path() == tmp_path / "h" / ".odavl" / "credentials.json"


def test_saved_credentials_are_0600_and_used(odavl_home: Path):
    path = config.save_credentials("http://api.example/", "odavl_file", "org-file", "proj-file")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"apiUrl": "http://api.example", "apiKey": "odavl_file",
                                            "organizationId": "org-file", "projectId": "proj-file"}
    settings = config.load()
    assert (settings.api_url, settings.api_key, settings.organization_id, settings.project_id) == (
        "http://api.example", "odavl_file", "org-file", "proj-file")


def test_environment_overrides_the_file_and_options_override_both(odavl_home: Path, monkeypatch: pytest.MonkeyPatch):
    config.save_credentials("http://file", "odavl_file", "org-file", "proj-file")
    monkeypatch.setenv("ODAVL_CLOUD_API", "http://env/")
    monkeypatch.setenv("ODAVL_API_KEY", "odavl_env")
    monkeypatch.setenv("ODAVL_ORGANIZATION_ID", "org-env")
    monkeypatch.setenv("ODAVL_PROJECT_ID", "proj-env")
    settings = config.load()
    assert (settings.api_url, settings.api_key, settings.organization_id, settings.project_id) == (
        "http://env", "odavl_env", "org-env", "proj-env")
    settings = config.load(api_url="http://opt", api_key="odavl_opt", project_id="proj-opt")
    assert (settings.api_url, settings.api_key, settings.project_id) == ("http://opt", "odavl_opt", "proj-opt")


def test_a_broken_credentials_file_is_ignored_not_fatal(odavl_home: Path):
    odavl_home.mkdir(parents=True)
    (odavl_home / "credentials.json").write_text("{not json")
    assert config.load().api_key is None


def test_delete_credentials(odavl_home: Path):
    assert config.delete_credentials() is False
    config.save_credentials("http://x", "odavl_k")
    assert config.delete_credentials() is True
    assert not config.credentials_path().exists()
