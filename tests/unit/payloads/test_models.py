"""Payload models accept the sample workspace and the known variants, keep extra fields, and
refuse what is not a payload of their type."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.errors import InvalidInput
from chalicelib.models.payloads import autopilot, guardian, insight
from chalicelib.services.upload_types import resolve, type_names
from tests.api.uploads_inline.helpers import FIXTURES, fixture


@pytest.mark.parametrize(("product", "upload_type"), sorted(FIXTURES))
def test_sample_workspace_files_validate(product, upload_type):
    model = resolve(product, upload_type).model
    assert model is not None
    parsed = model.model_validate(fixture(product, upload_type))
    assert parsed.model_dump(by_alias=True, exclude_unset=True)


def test_extra_fields_are_kept():
    parsed = insight.AnalysisResults.model_validate({"diagnostics": {"a": [{"message": "m", "novel": 1}]}, "tool": "x"})
    assert parsed.model_extra == {"tool": "x"}
    assert parsed.diagnostics["a"][0].model_extra == {"novel": 1}


@pytest.mark.parametrize(("raw", "word"), [(0, "error"), (1, "warning"), (2, "info"), (3, "hint"), ("Error", "error"),
                                            ("Information", "info"), ("warn", "warning"), (None, "info"), ("2", "info")])
def test_severity_normalized(raw, word):
    d = insight.Diagnostic.model_validate({"message": "m", "severity": raw})
    assert d.severity_word == word


def test_code_forms():
    assert insight.Diagnostic.model_validate({"message": "m", "code": 2304}).code_text == "2304"
    assert insight.Diagnostic.model_validate({"message": "m", "code": {"value": "x", "target": "u"}}).code_text == "x"


@pytest.mark.parametrize("bad", [{}, {"diagnostics": 3}, {"diagnostics": {"a": [{"severity": "error"}]}},
                                 {"diagnostics": {"a": [{"message": "m", "line": -1}]}}, [1]])
def test_analysis_results_refused(bad):
    with pytest.raises(ValidationError):
        insight.AnalysisResults.model_validate(bad)


def test_ledger_needs_run_id_and_edits_list():
    with pytest.raises(ValidationError):
        autopilot.Ledger.model_validate({"phase": "completed", "edits": []})
    with pytest.raises(ValidationError):
        autopilot.Ledger.model_validate({"runId": "r", "edits": "nope"})
    assert autopilot.Ledger.model_validate({"runId": "r"}).edits == []


def test_variant_shapes():
    assert len(autopilot.RunHistory.model_validate([{"runId": "a"}, {"runId": "b"}]).runs) == 2
    trust = autopilot.RecipeTrust.model_validate({"recipes": {"a": {"trust": 0.5}, "b": 0.9}})
    assert [(r.id, r.trust) for r in trust.recipes] == [("a", 0.5), ("b", 0.9)]
    snap = autopilot.Snapshot.model_validate({"snapshotId": "s", "files": {"a.ts": "x"}})
    assert snap.files[0].path == "a.ts"


def test_test_results_need_url_and_id():
    with pytest.raises(ValidationError):
        guardian.TestResults.model_validate({"testRunId": "t", "tests": []})
    outcome = [t.outcome for t in guardian.TestResults.model_validate(
        {"testRunId": "t", "url": "u", "tests": [{"status": "PASSED"}, {"passed": False}, {"status": "skipped"}, {}]}).tests]
    assert outcome == ["passed", "failed", "skipped", "passed"]


def test_lighthouse_scores_are_fractions():
    with pytest.raises(ValidationError):
        guardian.LighthouseReport.model_validate({"categories": {"performance": {"score": 91}}})


def test_types_resolve():
    assert resolve("insight", "detector-security").name == "detector"
    assert resolve("guardian", "screenshot").binary
    assert "detector-<name>" in type_names("insight")
    for product, name, code in (("nope", "ledger", "unknown_product"), ("insight", "ledger", "unknown_type"),
                                ("insight", "detector-BAD NAME", "unknown_type")):
        with pytest.raises(InvalidInput) as err:
            resolve(product, name)
        assert err.value.code == code


HUGE = 10**40  # more digits than DynamoDB keeps (38): must be refused by the model, not by the write


@pytest.mark.parametrize(("model", "payload"), [
    (insight.Diagnostic, {"message": "m", "line": HUGE}),
    (insight.Diagnostic, {"message": "m", "column": 2**31}),
    (guardian.TestResults, {"testRunId": "t", "url": "u", "summary": {"passed": HUGE}}),
    (guardian.TestResults, {"testRunId": "t", "url": "u", "tests": [{"security": {"vulnerabilities": HUGE}}]}),
    (guardian.TestResults, {"testRunId": "t", "url": "u", "tests": [{"accessibility": {"score": 101}}]}),
    (guardian.TestResults, {"testRunId": "t", "url": "u", "tests": [{"duration": -1}]}),
    (guardian.TestResults, {"testRunId": "t", "url": "u", "tests": [{"duration": float("inf")}]}),
    (guardian.AccessibilityReport, {"score": 1e300}),
    (guardian.LighthouseReport, {"categories": {"performance": {"score": 1.5}}}),
    (autopilot.RecipeTrust, {"recipes": [{"id": "r", "trust": 1e300}]}),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_numbers_out_of_range_are_refused(model, payload):
    with pytest.raises(ValidationError):
        model.model_validate(payload)


def test_numbers_in_range_keep_lax_forms():
    d = insight.Diagnostic.model_validate({"message": "m", "line": 12.0, "column": "3"})
    assert (d.line, d.column) == (12, 3)
    results = guardian.TestResults.model_validate({"testRunId": "t", "url": "u", "tests": [
        {"accessibility": {"score": 87}, "security": {"vulnerabilities": [{"id": "x"}, {"id": "y"}]}}]})
    assert results.tests[0].accessibility.score == 87.0
    assert len(results.tests[0].security.vulnerabilities) == 2
