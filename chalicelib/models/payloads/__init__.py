"""Per-product payload models and the table of upload types: which model validates a type,
which field is its natural idempotency id, and which types are binary (never inline)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.errors import UnknownUploadType
from chalicelib.models.payloads import autopilot, guardian, insight
from chalicelib.models.payloads.common import PayloadModel

PRODUCTS: tuple[str, ...] = ("insight", "autopilot", "guardian")
DETECTOR_TYPE = re.compile(r"^detector-[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class UploadType:
    """One upload type of one product."""

    product: str
    name: str
    model: type[PayloadModel] | None
    natural_id: str | None = None  # attribute of the model that identifies the run on the client
    binary: bool = False
    # Without a natural id, what makes a re-upload the same run: the test run it belongs to
    # (``metadata.testRunId``) and, failing that, its content.
    by_test_run: bool = False
    by_content: bool = False


_TYPES: dict[tuple[str, str], UploadType] = {
    (t.product, t.name): t
    for t in (
        UploadType("insight", "analysis-results", insight.AnalysisResults),
        UploadType("insight", "ml-training", insight.MlTraining),
        UploadType("autopilot", "ledger", autopilot.Ledger, natural_id="run_id"),
        UploadType("autopilot", "snapshot", autopilot.Snapshot, natural_id="snapshot_id"),
        UploadType("autopilot", "recipe-trust", autopilot.RecipeTrust, by_content=True),
        UploadType("autopilot", "run-history", autopilot.RunHistory, by_content=True),
        UploadType("guardian", "test-results", guardian.TestResults, natural_id="test_run_id"),
        UploadType("guardian", "screenshot", None, binary=True),
        UploadType("guardian", "lighthouse-report", guardian.LighthouseReport, by_test_run=True, by_content=True),
        UploadType("guardian", "accessibility-report", guardian.AccessibilityReport, by_test_run=True,
                   by_content=True),
    )
}
_DETECTOR = UploadType("insight", "detector", insight.DetectorResults)


def check_product(product: str) -> str:
    """The product, or 400 ``unknown_product``."""
    if product not in PRODUCTS:
        raise UnknownUploadType(f"Unknown product '{product[:40]}'.", code="unknown_product", details={"allowed": list(PRODUCTS)})
    return product


def resolve(product: str, name: str) -> UploadType:
    """The upload type ``name`` of ``product``; 400 ``unknown_product`` / ``unknown_type`` otherwise."""
    check_product(product)
    found = _TYPES.get((product, name))
    if found is not None:
        return found
    if product == "insight" and DETECTOR_TYPE.match(name):
        return _DETECTOR
    raise UnknownUploadType(
        f"Unknown {product} upload type '{name[:80]}'.",
        details={"product": product, "allowed": type_names(product)},
    )


def type_names(product: str) -> list[str]:
    """The type names of a product (``detector-<name>`` as a pattern)."""
    names = [name for (p, name) in _TYPES if p == product]
    return names + (["detector-<name>"] if product == "insight" else [])
