"""What the large/binary door accepts: products, their upload types, and per type the content
types it takes and where a verified object goes (an ingest job, or a blob attached to a run)."""
from __future__ import annotations

from chalicelib.errors import UnknownUploadType, UnsupportedContentType
from chalicelib.models.payloads import DETECTOR_TYPE
from chalicelib.services.uploads.verify import IMAGE_TYPES

PRODUCTS: dict[str, tuple[str, ...]] = {
    "insight": ("analysis-results", "ml-training"),
    "autopilot": ("ledger", "snapshot", "recipe-trust", "run-history"),
    "guardian": ("test-results", "screenshot", "lighthouse-report", "accessibility-report"),
}
_DETECTOR = DETECTOR_TYPE  # the payload models' pattern: both doors accept the same detector names

INGEST_TYPES = ("application/json", "application/gzip")
REPORT_BLOB_TYPES = ("application/pdf", "text/html")

INGEST, BLOB = "ingest", "blob"


def check_type(product: str, upload_type: str) -> None:
    """400 unknown_product / unknown_type."""
    if product not in PRODUCTS:
        raise UnknownUploadType(f"Unknown product '{product}'.", code="unknown_product",
                           details={"product": product, "allowed": sorted(PRODUCTS)})
    if upload_type in PRODUCTS[product] or (product == "insight" and _DETECTOR.match(upload_type)):
        return
    raise UnknownUploadType(f"Unknown upload type '{upload_type}' for {product}.",
                       details={"product": product, "type": upload_type, "allowed": list(PRODUCTS[product])})


def allowed_content_types(upload_type: str) -> tuple[str, ...]:
    if upload_type == "screenshot":
        return IMAGE_TYPES
    if upload_type in ("lighthouse-report", "accessibility-report"):
        return INGEST_TYPES + REPORT_BLOB_TYPES
    return INGEST_TYPES


def destination(upload_type: str, content_type: str) -> str:
    """``ingest`` or ``blob``; 415 when the type does not take this content type."""
    allowed = allowed_content_types(upload_type)
    if content_type not in allowed:
        raise UnsupportedContentType(f"Type '{upload_type}' does not take {content_type}.", code="unsupported_content_type",
                                   details={"contentType": content_type, "allowed": list(allowed)})
    return INGEST if content_type in INGEST_TYPES else BLOB
