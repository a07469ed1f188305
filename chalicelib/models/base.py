"""Shared model configuration: camelCase on the wire, snake_case in Python."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Base for request/response bodies: camelCase aliases, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)


class ApiResponse(BaseModel):
    """Base for response bodies: camelCase aliases; a field the model does not publish is refused, so
    a reply checked against its model (``ODAVL_CHECK_REPLIES``) cannot carry what the document lacks."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)


def _as_utc(value: datetime) -> datetime:
    """A time without an offset is UTC (as everywhere in the API); every time compares in UTC."""
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


# ISO-8601 date or date-time; without an offset it means UTC.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
