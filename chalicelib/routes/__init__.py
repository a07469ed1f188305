"""Route modules, one Blueprint (``bp``) per area; app.py registers every one found here."""
from __future__ import annotations

import importlib
import pkgutil

from chalice import Blueprint


def blueprints() -> list[Blueprint]:
    """The ``bp`` of every module in this package, in name order (stable route registration)."""
    found: list[Blueprint] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        bp = getattr(module, "bp", None)
        if isinstance(bp, Blueprint):
            found.append(bp)
    return found
