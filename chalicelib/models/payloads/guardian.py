"""Guardian payloads: a test run's results, its Lighthouse report and its accessibility report.
Screenshots are binary and travel through ``/v1/uploads`` only."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.models.payloads.common import NaturalId, PayloadModel
from chalicelib.models.payloads.numbers import Count, Duration, Fraction, Percent


class TestAccessibility(PayloadModel):
    """A test's accessibility check: its score (0..100); violations and passes are kept as sent."""

    score: Percent | None = None


class TestSecurity(PayloadModel):
    """A test's security check: the vulnerabilities found, as a count or as a list."""

    vulnerabilities: Count | list[Any] | None = None


class TestCase(PayloadModel):
    """One test; ``status`` or ``passed`` says how it went."""

    __test__ = False  # not a pytest class
    name: str = Field(default="", max_length=2000)
    status: str | None = Field(default=None, max_length=40)
    passed: bool | None = None
    duration: Duration | None = None
    accessibility: TestAccessibility | None = None
    security: TestSecurity | None = None

    @property
    def outcome(self) -> str:
        """passed / failed / skipped."""
        if self.status:
            word = self.status.lower()
            if word in ("passed", "pass", "ok", "success", "succeeded"):
                return "passed"
            if word in ("skipped", "skip", "pending", "todo"):
                return "skipped"
            return "failed"
        return "passed" if self.passed is not False else "failed"


class Summary(PayloadModel):
    total: Count | None = None
    passed: Count | None = None
    failed: Count | None = None
    skipped: Count | None = None


class TestResults(PayloadModel):
    """``.odavl/guardian/test-<testRunId>.json``."""

    __test__ = False
    test_run_id: NaturalId = Field(alias="testRunId")
    timestamp: str | None = None
    url: str = Field(max_length=4000)
    environment: str = Field(default="production", max_length=60)
    tests: list[TestCase] = Field(default_factory=list)
    summary: Summary | None = None


class LighthouseCategory(PayloadModel):
    score: Fraction | None = None


class LighthouseReport(PayloadModel):
    """A Lighthouse JSON report (scores 0..1 per category)."""

    requested_url: str | None = Field(default=None, alias="requestedUrl")
    final_url: str | None = Field(default=None, alias="finalUrl")
    url: str | None = None
    categories: dict[str, LighthouseCategory] = Field(default_factory=dict)


class Violation(PayloadModel):
    id: str | None = None
    impact: str | None = None
    nodes: list[Any] = Field(default_factory=list)


class AccessibilityReport(PayloadModel):
    """An axe-style WCAG report: violations with their impact, passes, incomplete checks."""

    url: str | None = None
    score: Percent | None = None
    violations: list[Violation] = Field(default_factory=list)
    # The earlier tool wrote counts here, axe writes the checks themselves: both are accepted.
    passes: list[Any] | Count = Field(default_factory=list)
    incomplete: list[Any] | Count = Field(default_factory=list)

    @property
    def passes_count(self) -> int:
        return self.passes if isinstance(self.passes, int) else len(self.passes)

    @property
    def incomplete_count(self) -> int:
        return self.incomplete if isinstance(self.incomplete, int) else len(self.incomplete)
