"""Which door the CLI sends a JSON result through: inline up to the inline door's bounds (5 MiB of
gzip on the wire, 8 MiB of JSON), else the large door; an inline 413 ``payload_too_large`` (a server
with a lower bound) is sent again through the large door."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odavl_cli import transfer
from odavl_cli.client import CliError
from odavl_cli.transfer import Transfer, Upload


class Doors(Transfer):
    """The door logic of Transfer, with both doors recorded instead of sent."""

    def __init__(self, inline_refuses: bool = False) -> None:  # no client: nothing is sent
        self.used: list[str] = []
        self.inline_refuses = inline_refuses
        self.client = type("Client", (), {"http": type("Http", (), {"headers": {}})()})()

    def send_inline(self, upload: Upload, raw: bytes, encoded: str) -> Any:
        self.used.append("inline")
        if self.inline_refuses:
            raise CliError("too large", status=413, code="payload_too_large")
        return "inline"

    def send_large(self, upload: Upload, data: bytes, content_type: str) -> Any:
        self.used.append(f"large {content_type}")
        return "large"


def _upload(tmp_path: Path, size: int) -> Upload:
    path = tmp_path / "problems-panel-export.json"
    path.write_bytes(b'{"diagnostics":{},"pad":"' + b"x" * (size - 27) + b'"}')
    return Upload(product="insight", type="analysis-results", path=path, project_id="p")


@pytest.mark.parametrize(("size", "doors"), [
    (transfer.INLINE_JSON_MAX_BYTES, ["inline"]),
    (transfer.INLINE_JSON_MAX_BYTES + 1, ["large application/gzip"]),
])
def test_json_over_the_inline_bound_goes_straight_to_the_large_door(tmp_path: Path, size: int, doors: list[str]):
    sender = Doors()
    sender.send(_upload(tmp_path, size))
    assert sender.used == doors


def test_an_inline_413_is_sent_again_through_the_large_door(tmp_path: Path):
    sender = Doors(inline_refuses=True)
    assert sender.send(_upload(tmp_path, 1024)) == "large"
    assert sender.used == ["inline", "large application/gzip"]


def test_the_bound_is_the_servers():
    from chalicelib.config import Settings

    assert transfer.INLINE_JSON_MAX_BYTES == Settings().inline_decompressed_max_bytes
    assert transfer.INLINE_MAX_BYTES == Settings().inline_max_bytes
