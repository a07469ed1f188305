"""The inline upload door's request and reply."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.models.base import ApiModel, ApiResponse
from chalicelib.models.build import BuildContext
from chalicelib.models.fields import Metadata, ProjectId, UploadTypeName


def _bounded_hashes(value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    if sum(len(lines) for lines in value.values()) > MAX_LINE_HASHES:
        raise ValueError(f"at most {MAX_LINE_HASHES} line hashes")
    return value


LineHashes = Annotated[
    dict[Annotated[str, StringConstraints(max_length=1024)],
         dict[Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")],
              Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]]],
    AfterValidator(_bounded_hashes)]
MAX_LINE_HASHES = 50_000


class InlineUploadRequest(ApiModel):
    """``POST /v1/upload/{product}``: one JSON result, base64 (gzip'd when ``compressed``)."""

    type: UploadTypeName = Field(description="upload type, e.g. analysis-results, ledger, test-results")
    project_id: ProjectId = "default"
    metadata: Metadata = Field(default_factory=dict)
    data: str = Field(description="base64 of the JSON file (of its gzip when compressed); at most 5 MiB decoded")
    compressed: bool = False
    build: BuildContext | None = Field(default=None, description="the commit, branch and CI run this result comes from")
    line_hashes: LineHashes | None = Field(default=None, description="insight: {file: {line: hash of the flagged "
                                           "line's text}} from the workspace's sources, so moved lines keep their identity")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$",
                               description="hex SHA-256 of the original JSON file (that of the sent bytes is accepted too)")


class UploadReply(ApiResponse):
    """The run an upload created (or created before: a replay answers the same)."""

    upload_id: str
    run_id: str
    test_id: str | None = Field(default=None, description="guardian only: the same as runId")
    url: str
    gate: dict[str, Any] | None = Field(default=None, description="the quality gate against the baseline: status "
                                        "(passed, failed, no_baseline), reasons, baseline, counts")
