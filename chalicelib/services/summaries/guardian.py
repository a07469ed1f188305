"""Guardian summaries: pass/fail counts, accessibility score and vulnerabilities of a test run;
category scores of a Lighthouse report; violations by impact of an accessibility report."""
from __future__ import annotations

from typing import Any

from chalicelib.models.payloads import guardian
from chalicelib.services.summaries.summary import Summary, count_by, first_list


def lighthouse(payload: guardian.LighthouseReport, upload_type: str) -> Summary:
    scores = {name: round(c.score * 100, 1) for name, c in payload.categories.items() if c.score is not None}
    fields: dict[str, Any] = {"url": payload.final_url or payload.requested_url or payload.url, "scores": scores}
    if "accessibility" in scores:
        fields["accessibilityScore"] = scores["accessibility"]
    return Summary(fields=fields)


def accessibility(payload: guardian.AccessibilityReport, upload_type: str) -> Summary:
    impacts = [v.impact or "unknown" for v in payload.violations]
    fields: dict[str, Any] = {"url": payload.url, "violationsCount": len(impacts), "byImpact": count_by(impacts),
                              "passesCount": payload.passes_count, "incompleteCount": payload.incomplete_count}
    if payload.score is not None:
        fields["accessibilityScore"] = payload.score
    return Summary(fields=fields)


def results(payload: guardian.TestResults, upload_type: str) -> Summary:
    outcomes = [t.outcome for t in payload.tests]
    passed, failed, skipped = outcomes.count("passed"), outcomes.count("failed"), outcomes.count("skipped")
    if not outcomes and payload.summary is not None:  # summary-only uploads
        passed, failed, skipped = payload.summary.passed or 0, payload.summary.failed or 0, payload.summary.skipped or 0
    scores: list[float] = []
    vulnerabilities = 0
    for test in payload.tests:  # the model bounds both (a count, a 0..100 score)
        if test.accessibility is not None and test.accessibility.score is not None:
            scores.append(test.accessibility.score)
        if test.security is not None:
            found = test.security.vulnerabilities
            vulnerabilities += len(found) if isinstance(found, list) else found or 0
    fields: dict[str, Any] = {
        "url": payload.url, "testsCount": passed + failed + skipped, "passedCount": passed,
        "failedCount": failed, "skippedCount": skipped, "vulnerabilities": vulnerabilities,
    }
    if scores:
        fields["accessibilityScore"] = round(sum(scores) / len(scores), 2)
    ok = failed == 0
    return Summary(status="passed" if ok else "failed", external_id=payload.test_run_id, timestamp=payload.timestamp,
                   environment=payload.environment, passed=ok, fields=fields)



def items(upload_type: str, data: Any) -> tuple[str, list[dict[str, Any]]]:
    """Tests of a run, audits of a Lighthouse report, violations of an accessibility report."""
    if upload_type == "test-results":
        return "tests", first_list(data, "tests")
    if upload_type == "lighthouse-report":
        audits = data.get("audits") if isinstance(data, dict) else None
        return "audits", list(audits.values()) if isinstance(audits, dict) else first_list(data, "audits")
    return "violations", first_list(data, "violations")
