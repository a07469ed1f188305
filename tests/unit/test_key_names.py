"""API key names: printable text, trimmed, 1-100 characters (they reach logs, exports and terminals)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.models.keys import CreateKeyRequest


@pytest.mark.parametrize("name, stored", [
    ("ci", "ci"),
    ("  deploy key  ", "deploy key"),
    ("Grüße 日本 🚀", "Grüße 日本 🚀"),
    ("k" * 100, "k" * 100),
    ("a\u00a0b", "a\u00a0b"),  # a no-break space is printable
])
def test_printable_names_are_kept_trimmed(name: str, stored: str) -> None:
    assert CreateKeyRequest(name=name).name == stored


@pytest.mark.parametrize("name", [
    "", "   ", "k" * 101, "bad\x00name", "a\r\nX-Injected: 1", "tab\tname", "esc\x1b[31m", "del\x7f",
    "rtl\u202egpj.exe", "lri\u2066x", "zero\u200bwidth", "line\u2028sep", "bom\ufeff", "private\ue000",
])
def test_control_format_and_out_of_range_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        CreateKeyRequest(name=name)


def test_a_name_must_be_a_string() -> None:
    with pytest.raises(ValidationError):
        CreateKeyRequest.model_validate({"name": 12})
