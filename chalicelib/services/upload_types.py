"""The upload types: one row per type says everything the service knows of it, and every door,
check and listing is derived from these rows (a new type is one row here, plus its payload model
and its summary function).

A row carries the type's payload model (None: binary, only the large door takes it), the content
types the large door accepts and where each goes (JSON is ingested into a run; any other accepted
type is a blob), the monthly metric an upload counts, what identifies a re-upload as the same run
(a natural id field of the payload, the Guardian test run in ``metadata.testRunId``, or the
content), whether it links to that test run's detail, and its summarizer."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import UnknownUploadType, UnsupportedContentType
from chalicelib.models.payloads import autopilot as autopilot_models
from chalicelib.models.payloads import guardian as guardian_models
from chalicelib.models.payloads import insight as insight_models
from chalicelib.models.payloads.common import PayloadModel
from chalicelib.plans import Metric
from chalicelib.services.summaries import autopilot, guardian, insight
from chalicelib.services.summaries.summary import Summary
from chalicelib.services.uploads.verify import IMAGE_TYPES

JSON_TYPES = ("application/json", "application/gzip")
REPORT_FILE_TYPES = ("application/pdf", "text/html")  # a report's rendering, kept as a blob of its run
INGEST, BLOB = "ingest", "blob"
DETECTOR_NAME = re.compile(r"^detector-[a-z0-9][a-z0-9_.-]{0,62}$")

Summarizer = Callable[[Any, str], Summary]  # (validated payload, type name) -> the run's summary
ItemsOf = Callable[[str, Any], tuple[str, list[dict[str, Any]]]]  # a product's run-page items


@dataclass(frozen=True)
class UploadType:
    """One upload type of one product."""

    product: str
    name: str
    model: type[PayloadModel] | None = None  # None: binary
    summarize: Summarizer | None = None
    content_types: tuple[str, ...] = JSON_TYPES
    metric: Metric | None = None  # the monthly quota it counts towards (all count towards storage)
    natural_id: str | None = None  # the payload attribute that identifies the run on the client
    by_test_run: bool = False  # identified by, and linked to, the Guardian test run in metadata.testRunId
    by_content: bool = False  # without another identity, a re-upload of the same bytes is the same run

    @property
    def binary(self) -> bool:
        return self.model is None

    def destination(self, content_type: str) -> str:
        """``ingest`` or ``blob`` for a large-door upload; UnsupportedContentType for a type it does not take."""
        if content_type not in self.content_types:
            raise UnsupportedContentType(f"Type '{self.name}' does not take {content_type}.",
                                         code="unsupported_content_type",
                                         details={"contentType": content_type, "allowed": list(self.content_types)})
        return INGEST if content_type in JSON_TYPES else BLOB


ROWS: tuple[UploadType, ...] = (
    UploadType("insight", "analysis-results", insight_models.AnalysisResults, insight.analysis,
               metric=Metric.INSIGHT_ANALYSES),
    UploadType("insight", "ml-training", insight_models.MlTraining, insight.training),
    UploadType("autopilot", "ledger", autopilot_models.Ledger, autopilot.ledger, metric=Metric.AUTOPILOT_RUNS,
               natural_id="run_id"),
    UploadType("autopilot", "snapshot", autopilot_models.Snapshot, autopilot.snapshot, natural_id="snapshot_id"),
    UploadType("autopilot", "recipe-trust", autopilot_models.RecipeTrust, autopilot.recipe_trust, by_content=True),
    UploadType("autopilot", "run-history", autopilot_models.RunHistory, autopilot.history, by_content=True),
    UploadType("guardian", "test-results", guardian_models.TestResults, guardian.results,
               metric=Metric.GUARDIAN_TESTS, natural_id="test_run_id"),
    UploadType("guardian", "screenshot", content_types=IMAGE_TYPES),
    UploadType("guardian", "lighthouse-report", guardian_models.LighthouseReport, guardian.lighthouse,
               content_types=JSON_TYPES + REPORT_FILE_TYPES, by_test_run=True, by_content=True),
    UploadType("guardian", "accessibility-report", guardian_models.AccessibilityReport, guardian.accessibility,
               content_types=JSON_TYPES + REPORT_FILE_TYPES, by_test_run=True, by_content=True),
)
# ``detector-<name>``: one row for every Insight detector's findings.
DETECTOR = UploadType("insight", "detector", insight_models.DetectorResults, insight.detector)

# Run-page items of each product's runs (the run pages and the dashboard read them).
ITEMS: dict[str, ItemsOf] = {"insight": insight.items, "autopilot": autopilot.items, "guardian": guardian.items}

TYPES: dict[tuple[str, str], UploadType] = {(row.product, row.name): row for row in ROWS}
PRODUCTS: tuple[str, ...] = tuple(dict.fromkeys(row.product for row in ROWS))


def check_product(product: str) -> str:
    """The product, or UnknownUploadType ``unknown_product``."""
    if product not in PRODUCTS:
        raise UnknownUploadType(f"Unknown product '{product[:40]}'.", code="unknown_product",
                                details={"product": product[:40], "allowed": list(PRODUCTS)})
    return product


def resolve(product: str, name: str) -> UploadType:
    """The upload type ``name`` of ``product``; UnknownUploadType (unknown_product / unknown_type) otherwise."""
    check_product(product)
    found = TYPES.get((product, name))
    if found is not None:
        return found
    if product == DETECTOR.product and DETECTOR_NAME.match(name):
        return DETECTOR
    raise UnknownUploadType(f"Unknown {product} upload type '{name[:80]}'.",
                            details={"product": product, "type": name[:80], "allowed": type_names(product)})


def type_names(product: str) -> list[str]:
    """The type names of a product (``detector-<name>`` as a pattern)."""
    names = [name for (p, name) in TYPES if p == product]
    return names + ([f"{DETECTOR.name}-<name>"] if product == DETECTOR.product else [])
