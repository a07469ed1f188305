"""The documented error shape for the answers Chalice gives before any route runs (405 for a method
a path does not have, 415 for a content type no route takes): a middleware rewrites Chalice's own
``{"Code", "Message"}`` body and adds the request id, so every failure looks the same to a client."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from chalice import Response

from chalicelib.web.route import request_id_of

# Chalice's error codes → ours.
CODES = {"MethodNotAllowedError": "method_not_allowed", "UnsupportedContentType": "unsupported_media_type",
         "BadRequestError": "invalid_input", "BadRequest": "invalid_input", "NotFoundError": "not_found"}


def error_envelope(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """``@app.middleware('http')``: Chalice's own error answers in the documented shape."""
    response = get_response(event)
    headers = {k.lower(): k for k in (response.headers or {})}
    if "x-request-id" in headers:
        return response  # answered by a route: already in shape
    rid = request_id_of(event)
    response.headers = {**(response.headers or {}), "X-Request-Id": rid}
    if response.status_code < 400:
        return response
    chalice_error = _chalice_error(response.body)
    if chalice_error is None:
        return response
    code, message = chalice_error
    response.body = json.dumps({"error": {"code": CODES.get(code, _snake(code)), "message": message, "details": {}},
                                "requestId": rid})
    response.headers["Content-Type"] = "application/json"
    return response


def _chalice_error(body: Any) -> tuple[str, str] | None:
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, dict) and isinstance(body.get("Code"), str):
        return body["Code"], str(body.get("Message", ""))
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower()
