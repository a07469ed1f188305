"""An interrupted multipart transfer resumes: the second attempt sends only the parts S3 lacks."""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from rich.console import Console

from odavl_cli.client import ApiClient, CliError
from odavl_cli.config import Settings
from odavl_cli.transfer import Transfer, Upload
from tests.addressing import declare
from tests.cli.conftest import Cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


class Recording(Transfer):
    """Records the parts it PUTs; refuses to send part ``fail_part``."""

    def __init__(self, *args, fail_part: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fail_part = fail_part
        self.sent: list[int] = []

    def _put_part(self, url: str, chunk: bytes, headers: dict[str, str]) -> str:
        number = int(url.split("partNumber=")[1].split("&")[0])
        if number == self.fail_part:
            raise CliError("connection lost", retryable=True, code="network")
        assert headers["x-amz-checksum-sha256"] == base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        etag = super()._put_part(url, chunk, headers)
        self.sent.append(number)
        return etag


def test_an_interrupted_upload_resumes_with_the_missing_parts_only(cli: Cli, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ODAVL_HOME", str(cli.home))
    shot = tmp_path / "huge.png"
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(20 * 1024 * 1024)
    shot.write_bytes(data)
    upload = Upload(product="guardian", type="screenshot", path=shot, project_id="resume",
                    metadata={"testRunId": "tr-resume", "fileName": shot.name}, binary=True, content_type="image/png")
    settings = Settings(cli.stack.api_url, cli.key, None, None)
    quiet = Console(file=open(os.devnull, "w"))
    with ApiClient(settings) as client:
        first = Recording(client, quiet, fail_part=2)
        with pytest.raises(CliError, match="connection lost"):
            first.send(upload)
        assert 2 not in first.sent and first.sent  # some parts went, part 2 did not
        state = list((cli.home / "uploads").glob("*.json"))
        assert [p.stem for p in state] == [declare(data)["sha256"]]  # the tree hash names the transfer
        second = Recording(client, quiet)
        result = second.send(upload)
    assert sorted(second.sent) == sorted(set(range(1, 4)) - set(first.sent))  # only what S3 lacked
    assert 2 in second.sent
    assert result.door == "multipart" and result.bytes_sent < len(data)
    assert not list((cli.home / "uploads").glob("*.json"))
    assert cli.blob(data) == data
