"""The layering rules of ``chalicelib``, read from its source (no import is executed).

An import edge is what a module's code imports when it runs, at module level or inside a
function: ``import a.b``, ``from a import b`` (the module ``a.b`` when it exists, else ``a``),
``lazy_module("a.b")`` and model references ``"a.b:Name"``. Imports under ``if TYPE_CHECKING:``
never run and are not edges. Loading a submodule also runs its package's ``__init__``; that
implicit step is not an edge (as in import-linter's graph): a package initialiser that re-exports
its children is not a cycle with them. The endpoint-group table names route modules as data,
which the composition root loads; a name in that table is not an import either.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The longest module of ours that ``name`` names (``a.b.Thing`` -> ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def _imported_names(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported dotted name, line) for every import the module's code can run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                yield (child if child in MODULES else base), node.lineno
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "lazy_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.args[0].value, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and ":" in node.value:
            target = node.value.split(":", 1)[0]
            if target.startswith("chalicelib.") and " " not in node.value:
                yield target, node.lineno


def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported module of ours: first line}."""
    graph: dict[str, dict[str, int]] = {m: {} for m in MODULES}
    for module, path in MODULES.items():
        for name, line in _imported_names(module, path):
            if not name.startswith("chalicelib"):
                continue
            target = _resolve(name)
            if target and target != module:
                graph[module].setdefault(target, line)
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str]) -> str:
    members = set(component)
    return "; ".join(f"{m} -> {sorted(set(GRAPH[m]) & members)}" for m in component)


def test_the_graph_sees_imports_at_every_level() -> None:
    """The reader finds module-level, function-level and lazy imports (else the rules below prove nothing)."""
    assert "chalicelib.services.ingest" in GRAPH["chalicelib.services.jobs"]  # imported inside functions
    assert "chalicelib.services.runs" in GRAPH["chalicelib.routes.runs"]  # a lazy_module
    assert "chalicelib.store.transact" in GRAPH["chalicelib.services.storage_accounting"]
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_chalicelib() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles: " + " | ".join(_describe(c) for c in cycles)


def _edges_from(prefix: str) -> Iterator[tuple[str, str, int]]:
    for module, targets in GRAPH.items():
        if module == prefix or module.startswith(prefix + "."):
            for target, line in targets.items():
                yield module, target, line


def test_models_import_no_services_and_no_store() -> None:
    wrong = [f"{m}:{line} -> {t}" for m, t, line in _edges_from("chalicelib.models")
             if t.startswith(("chalicelib.services", "chalicelib.store", "chalicelib.routes"))]
    assert not wrong, wrong


def test_the_store_is_the_only_door_to_aws() -> None:
    """boto3 and botocore (clients, condition objects, errors) are imported under chalicelib/store only."""
    wrong = []
    for module, path in MODULES.items():
        if module.startswith("chalicelib.store"):
            continue
        for name, line in _imported_names(module, path):
            if name.split(".")[0] in ("boto3", "botocore", "s3transfer"):
                wrong.append(f"{module}:{line} imports {name}")
    assert not wrong, wrong


def test_services_read_no_dynamodb_wire_format() -> None:
    """Typed attribute values (``{"S": ...}``, ``["N"]``) are the store's business."""
    wrong = []
    for module, path in MODULES.items():
        if module.startswith("chalicelib.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and node.slice.value in ("S", "N", "M", "L", "BOOL", "NULL", "SS", "NS"):
                wrong.append(f"{module}:{node.lineno}")
    assert not wrong, wrong


def test_services_know_no_http() -> None:
    """Services and the store raise domain errors; only the web layer (routes, the dashboard, the
    route wrapper) turns them into statuses."""
    wrong = [f"{m}:{line} -> {t}" for prefix in ("chalicelib.services", "chalicelib.store", "chalicelib.models")
             for m, t, line in _edges_from(prefix)
             if t.startswith(("chalicelib.web", "chalicelib.routes", "chalicelib.dashboard"))]
    assert not wrong, wrong
    for module, path in MODULES.items():
        if module.startswith(("chalicelib.services", "chalicelib.store")):
            assert "status_code" not in path.read_text(), module


def test_every_domain_error_has_a_status_in_the_one_table() -> None:
    from chalicelib import errors
    from chalicelib.web.errors import HTTP_STATUS, status_of

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)]
    assert len(classes) >= 17
    for cls in classes:
        assert not hasattr(cls, "status"), cls  # the table is the one place a status is decided
        assert 400 <= status_of(cls("x")) < 600
    assert status_of(errors.QuotaExceeded("x")) == 429 and status_of(errors.UploadIncomplete("x")) == 409
    assert set(HTTP_STATUS) <= set(classes)
