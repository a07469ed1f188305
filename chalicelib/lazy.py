"""Modules imported on first attribute read.

Every Lambda of the app imports ``app``, which imports every route module. A route module names
its services and models through ``lazy_module`` so a cold start pays only for what the first
request touches: ``/v1/health`` never loads pydantic, the payload models or the ingest code.

A proxy, not the stdlib's ``LazyLoader``: the first read goes through ``importlib.import_module``,
whose per-module locks make two threads' first requests (``chalice local`` serves in threads) see
one fully executed module, never a half-run one."""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; imports it at the first attribute read, then forwards."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """The module ``name`` if it is imported already, else a proxy that imports it on first use.
    A name that cannot be found fails at once, not at the first request."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    if not _findable(name):
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return LazyModule(name)


def _findable(name: str) -> bool:
    """Whether ``name`` can be imported, found without running any package on the way down."""
    root, *rest = name.split(".")
    spec = importlib.util.find_spec(root)
    for depth in range(len(rest)):
        if spec is None or spec.submodule_search_locations is None:
            return False
        spec = importlib.machinery.PathFinder.find_spec(".".join([root, *rest[: depth + 1]]),
                                                        spec.submodule_search_locations)
    return spec is not None


def resolve(path: str) -> object:
    """``"package.module:Name"`` → the object (imports the module now)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)
