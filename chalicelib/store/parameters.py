"""Secrets kept in SSM Parameter Store (SecureString), read by name; the dashboard's session signing key
lives there on AWS so it is neither in the code nor in the function's plain environment."""
from __future__ import annotations

from chalicelib.store import clients


def _ssm() -> object:
    return clients._get("ssm", lambda: clients._session().client("ssm", config=clients._CONFIG))


def secure_parameter(name: str) -> str:
    """The decrypted value of the parameter ``name`` (raises when it does not exist)."""
    out = _ssm().get_parameter(Name=name, WithDecryption=True)  # type: ignore[attr-defined]
    return str(out["Parameter"]["Value"])
