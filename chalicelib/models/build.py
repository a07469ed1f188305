"""The build an upload came from (``build`` in both upload doors): commit, branch, the ancestor the
comparison starts from, and where the CI run is. Filled by the CLI from the CI's environment or git."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.models.base import ApiModel

CommitSha = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{7,64}$", to_lower=True)]
BranchName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]


class BuildContext(ApiModel):
    commit: CommitSha | None = None
    branch: BranchName | None = None
    ancestor: CommitSha | None = Field(default=None, description="the base commit to compare with")
    message: str | None = Field(default=None, max_length=1000)
    author: str | None = Field(default=None, max_length=200)
    build_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")
    pr: str | None = Field(default=None, max_length=50)
    provider: str | None = Field(default=None, max_length=40)
