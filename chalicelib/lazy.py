"""Modules loaded on first attribute access (the stdlib's ``importlib.util.LazyLoader``).

Every Lambda of the app imports ``app``, which imports every route module. A route module names
its services and models through ``lazy_module`` so a cold start pays only for what the first
request touches: ``/v1/health`` never loads pydantic, the payload models or the ingest code."""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module ``name``; executed at the first attribute read (at once if already imported).
    Parent packages not imported yet are made lazy too: finding a submodule must not run them."""
    if name in sys.modules:
        return sys.modules[name]
    parent, _, child = name.rpartition(".")
    if parent:
        package = lazy_module(parent)
        # object.__getattribute__: reading the spec of a lazy package must not execute it.
        locations = object.__getattribute__(package, "__spec__").submodule_search_locations
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
    else:
        spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def resolve(path: str) -> object:
    """``"package.module:Name"`` → the object (imports the module now)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)
