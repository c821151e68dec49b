"""The library packages run without Qt; the server imports nothing from the client but app.domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_library_imports_without_qt() -> None:
    code = (
        "import sys, app.domain, app.capture.photos, app.capture.nmea, app.capture.tracks, app.storage, app.sync, app.cli;"
        "bad = sorted(m for m in sys.modules if m.startswith('PySide6'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_import_anywhere_in_the_library_source() -> None:
    for package in ("domain", "capture", "storage", "sync"):
        for path in (ROOT / "app" / package).rglob("*.py"):
            assert not any(n.startswith("PySide6") for n in _imports(path)), path


def test_domain_uses_neither_qt_nor_a_database() -> None:
    for path in (ROOT / "app" / "domain").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.split(".")[0] in {"PySide6", "sqlalchemy", "alembic", "sqlite3"}
        }
        assert not bad, f"{path}: {bad}"


def test_widgets_never_touch_sql() -> None:
    for path in (ROOT / "app" / "ui").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.split(".")[0] in {"sqlalchemy", "sqlite3"} or n == "app.storage.models"
        }
        assert not bad, f"{path}: {bad}"


def test_server_imports_only_the_domain_from_the_client() -> None:
    for path in (ROOT / "server").rglob("*.py"):
        bad = {n for n in _imports(path) if n.startswith("app.") and not n.startswith("app.domain")}
        assert not bad, f"{path}: {bad}"


# --- import cycles ----------------------------------------------------------------------------


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _module_imports(path: Path, module: str, is_package: bool) -> set[str]:
    """Every module ``module`` imports (absolute names; relative imports resolved), at any
    depth of the file — a lazy import inside a function is a cycle all the same — except under
    ``if TYPE_CHECKING:`` (never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            # ``from package import module`` imports that module.
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports, for every ``*.py`` under ``root``
    (the folder of ``package``). Reusable for ``app/``: ``import_graph(ROOT / "app", "app")``."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join([package, *parts])] = (path, is_package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        imported = _module_imports(path, name, is_package)
        # Importing a.b.c runs a/__init__ and a/b/__init__ too; those are edges as well.
        closed = {".".join(m.split(".")[:i]) for m in imported for i in range(1, m.count(".") + 2)}
        graph[name] = {m for m in closed if m in modules and m != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted.

    A package's ``__init__`` importing its own submodules is left out: that is how a package
    re-exports, not a cycle between two pieces of code."""
    edges = {m: {t for t in targets if not t.startswith(m + ".")} for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return cycles


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import a\n")
    (package / "sub" / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from .sub.a import f\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.b\n"
    )
    assert import_cycles(import_graph(package, "pkg")) == [["pkg.b", "pkg.sub.a"]]


def test_no_import_cycles_among_server_modules() -> None:
    assert import_cycles(import_graph(ROOT / "server", "server")) == []


def test_cases_do_not_import_comments() -> None:
    """Comments build on cases (a case's detail reads its comments itself)."""
    graph = import_graph(ROOT / "server", "server")
    for module, imported in graph.items():
        if module.startswith("server.cases"):
            assert not {m for m in imported if m.startswith("server.comments")}, module


# --- the sync contract ------------------------------------------------------------------------


def test_the_client_has_a_handler_for_every_feed_kind() -> None:
    from app.domain.contract import PAYLOADS, FeedKind
    from app.storage.ledger import feed_handlers

    assert feed_handlers() == set(FeedKind)
    assert set(PAYLOADS) == set(FeedKind)


def test_the_server_emits_only_feed_kinds_of_the_contract() -> None:
    """Every feed entry the server appends names its kind as a FeedKind member (never a bare
    string), so together with the test above the client can apply every entry it is sent."""
    from app.domain.contract import FeedKind

    emitters = {"append_feed": 1, "FeedItem": 0}  # the kind's position in each
    seen: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name is None and isinstance(node.func, ast.Attribute):
                name = node.func.attr
            if name not in emitters:
                continue
            kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
            if kind is None and len(node.args) > emitters[name]:
                kind = node.args[emitters[name]]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert isinstance(kind, ast.Attribute), f"{where}: the kind is not FeedKind.…"
            assert ast.unparse(kind.value) == "FeedKind", where
            assert kind.attr in FeedKind.__members__, where
            seen.add(FeedKind[kind.attr])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # A kind spelt as a string next to a "kind" key (a row built by hand): only in a
            # migration, which keeps literal values on purpose (it must not change with the
            # code), and then it must still be a kind of the contract.
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "kind":
                        if "migrations" not in path.parts:
                            assert not isinstance(value, ast.Constant), path
                        elif isinstance(value, ast.Constant):
                            assert value.value in set(FeedKind), path
    assert seen, "no feed emitters found: the scan is broken"
