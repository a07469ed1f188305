"""The CLI names large bytes by the server's content address: the part digests computed while the
file is read, the tree hash above one part, and one rehash when the server names another part size."""
from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from rich.console import Console

from odavl_cli.client import ApiClient
from odavl_cli.config import Settings
from odavl_cli.transfer import Digests, Transfer, Upload, read_hashed
from tests.addressing import declare

MIB = 1024 * 1024


def test_reading_a_file_yields_its_bytes_and_the_servers_address(tmp_path: Path) -> None:
    for size in (0, 1000, 8 * MIB, 8 * MIB + 1, 20 * MIB + 7):
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        read, digests = read_hashed(path)
        assert bytes(read) == data
        assert digests.declaration() == declare(data)
        assert Digests.of(data).declaration() == declare(data)


def test_a_server_with_another_part_size_gets_the_digests_at_its_size(tmp_path: Path, odavl_home: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(12 * MIB)
    path = tmp_path / "shot.png"
    path.write_bytes(data)
    creates: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        creates.append(sent)
        if sent.get("partSize") != 6 * MIB:
            return httpx.Response(400, json={"error": {"code": "part_digests_required", "message": "hash 6 MiB parts",
                                                       "details": {"partSize": 6 * MIB, "partCount": 3}},
                                             "requestId": "r1"})
        return httpx.Response(200, json={"status": "exists", "sha256": sent["sha256"], "bytesToSend": 0})

    settings = Settings("http://api.test", "odavl_abcdef0123456789_secretsecret", None, None)
    with ApiClient(settings, transport=httpx.MockTransport(answer)) as client:
        result = Transfer(client, Console(file=open(os.devnull, "w")), show_progress=False).send(
            Upload(product="guardian", type="screenshot", path=path, project_id="p", binary=True,
                   content_type="image/png", metadata={"testRunId": "tr-1"}))
    assert result.door == "exists" and result.bytes_sent == 0
    assert [c.get("partSize") for c in creates] == [8 * MIB, 6 * MIB]
    assert {k: creates[1][k] for k in ("sha256", "partSize", "partSha256")} == declare(data, 6 * MIB)
