"""The OpenAPI document covers every route the app serves and is a valid 3.1 document."""
from __future__ import annotations

from openapi_spec_validator import validate

from app import app
from tests.conftest import body


def test_openapi_is_valid_and_covers_every_route(client):
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = body(response)
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    # The dashboard's HTML pages (/dashboard/...) are for people, not part of the API.
    served = {(path, method.lower()) for path, entries in app.routes.items() for method in entries
              if not path.startswith("/dashboard")}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented
    assert doc["paths"]["/v1/api-keys"]["post"]["responses"]["201"]
