"""The inline upload door's request and reply."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse
from chalicelib.models.build import BuildContext
from chalicelib.models.fields import Metadata, ProjectId, UploadTypeName


class InlineUploadRequest(ApiModel):
    """``POST /v1/upload/{product}``: one JSON result, base64 (gzip'd when ``compressed``)."""

    type: UploadTypeName = Field(description="upload type, e.g. analysis-results, ledger, test-results")
    project_id: ProjectId = "default"
    metadata: Metadata = Field(default_factory=dict)
    data: str = Field(description="base64 of the JSON file (of its gzip when compressed); at most 5 MiB decoded")
    compressed: bool = False
    build: BuildContext | None = Field(default=None, description="the commit, branch and CI run this result comes from")
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
