"""Organizations: operator-side creation with a first admin key, and plan changes."""
from __future__ import annotations

import re
from typing import Any

from chalicelib import clock
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services import keys
from chalicelib.plans import Plan
from chalicelib.services.scopes import ADMIN_SCOPES
from chalicelib.store import orgs

_ORG_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def create_org(org_id: str, plan: str, name: str | None = None) -> tuple[dict[str, Any], str]:
    """Create an organization and its first admin key; returns (org, plaintext admin key)."""
    if not _ORG_ID.match(org_id):
        raise InvalidInput("Organization ids are 2-63 chars of a-z, 0-9 and '-'.")
    plan_value = _plan(plan)
    try:
        org = orgs.put_org(org_id, name or org_id, plan_value, clock.iso())
    except orgs.OrgExists as exc:
        raise Conflict(f"Organization '{org_id}' already exists.", code="org_exists") from exc
    _, plaintext = keys.create_key(org_id, "admin", list(ADMIN_SCOPES))
    return org, plaintext


def create_admin_key(org_id: str, scopes: list[str] | None = None, name: str = "operator") -> tuple[dict[str, Any], str]:
    """A new key for an existing organization, made by an operator (all scopes by default): the way
    back in for an organization that lost its admin keys."""
    if orgs.get_org(org_id) is None:
        raise NotFound(f"No organization '{org_id}'.")
    return keys.create_key(org_id, name, scopes if scopes else list(ADMIN_SCOPES))


def set_plan(org_id: str, plan: str) -> None:
    """Change an organization's plan, effective on its next request."""
    if not orgs.set_plan(org_id, _plan(plan)):
        raise NotFound(f"No organization '{org_id}'.")


def _plan(plan: str) -> str:
    try:
        return Plan(plan.upper()).value
    except ValueError as exc:
        raise InvalidInput(f"Unknown plan '{plan}'.", details={"allowed": [p.value for p in Plan]}) from exc
