"""The house's floors: `tally` <- `crypto` <- `webapp`, and inside `webapp` packages on floors
(docs/architecture.md, CONTRIBUTING.md).  A module imports only from its own package or from a
package on a lower floor; no files import each other in a circle; and an import of a `webapp`
module written inside a function says on its line why it must be late (``# late: why``).

The imports are read from the source (AST), so this test needs no database and imports nothing."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top.  Packages on one floor are siblings: neither imports the other.
FLOORS: list[set[str]] = [
    {"core"},
    {"printing"},
    {"audit"},
    {"attachments"},
    {"estates"},
    {"devices"},
    {"auth"},
    {"firms", "bodies"},
    {"pool"},
    {"jobs"},
    {"registry"},
    {"owners"},
    {"assemblies", "evaluations", "inspections"},
    {"candidates", "proxies", "rolls", "rankings", "petitions", "disclosures"},
    {"voting"},
    {"results"},
    {"district"},
    {"portal", "oversight", "demo"},
    {"models"},
    {"app"},
    {"commands"},
    {"cli"},
]
FLOOR_OF = {name: index for index, names in enumerate(FLOORS) for name in names}
# The pure packages at the foot of the house, below every webapp floor.
PURE = {"tally": 0, "crypto": 1}
MAX_LATE_IMPORTS = 20


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    found = {}
    for top in ("webapp", "tally", "crypto"):
        for path in (ROOT / top).rglob("*.py"):
            found[module_name(path)] = path
    return found


class Import:
    def __init__(self, source: str, target: str, line: int, late: bool, comment: str):
        self.source, self.target, self.line, self.late, self.comment = source, target, line, late, comment

    def __repr__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def resolve(source: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    found: list[Import] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = resolve(name, child, is_package)
                # `from pkg import module` names a module; `from module import name` does not.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in child.names]
            for target in targets:
                if target.split(".")[0] in ("webapp", "tally", "crypto"):
                    comment = " ".join(lines[child.lineno - 1 : (child.end_lineno or child.lineno)])
                    found.append(Import(name, target, child.lineno, in_function, comment))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports run never
            visit(child, inner)

    visit(tree, False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def floor(module: str) -> tuple[str, int] | None:
    """The package a module belongs to and its floor (pure packages below every webapp floor)."""
    parts = module.split(".")
    if parts[0] in PURE:
        return parts[0], PURE[parts[0]] - len(PURE)
    if parts[0] != "webapp" or len(parts) < 2:
        return None
    package = parts[1]
    if package not in FLOOR_OF:
        raise AssertionError(f"{module}: package webapp.{package} has no floor; add it to FLOORS and docs/architecture.md")
    return package, FLOOR_OF[package]


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    modules = source_modules()
    edges = []
    for name, path in modules.items():
        for found in imports_of(name, path, modules):
            # Importing a package's __init__ on the way to one of its modules is not an arrow.
            if found.target in modules or found.target.rsplit(".", 1)[0] in modules:
                edges.append(found)
    return edges


def test_every_import_runs_down_or_stays_in_its_package(graph):
    upward = []
    for edge in graph:
        here, there = floor(edge.source), floor(edge.target)
        if here is None or there is None or here[0] == there[0]:
            continue
        if there[1] >= here[1]:
            upward.append(f"{edge}  ({here[0]} on floor {here[1]} imports {there[0]} on floor {there[1]})")
    assert upward == [], "imports that run up or sideways:\n" + "\n".join(sorted(upward))


def test_the_pure_packages_never_import_the_web_application(graph):
    wrong = [edge for edge in graph if edge.source.split(".")[0] in PURE and edge.target.startswith("webapp")]
    assert wrong == []


def test_no_files_import_each_other_in_a_circle(graph):
    modules = set(source_modules())
    arrows: dict[str, set[str]] = defaultdict(set)
    for edge in graph:
        target = edge.target if edge.target in modules else edge.target.rsplit(".", 1)[0]
        if target != edge.source:
            arrows[edge.source].add(target)
    circles = _circles(arrows)
    assert circles == [], "files that import each other in a circle:\n" + "\n".join(" -> ".join(c) for c in circles)


def _circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in arrows.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(arrows):
        if node not in index:
            connect(node)
    return found


def test_a_late_import_says_why_it_must_be_late(graph):
    late = [edge for edge in graph if edge.late and edge.source.startswith("webapp")]
    unexplained = [f"{edge}" for edge in late if "# late:" not in edge.comment]
    assert unexplained == [], "imports inside functions without '# late: why':\n" + "\n".join(unexplained)
    assert len({(e.source, e.line) for e in late}) < MAX_LATE_IMPORTS, sorted({(e.source, e.line) for e in late})


def test_the_checker_sees_an_upward_import(tmp_path):
    """The test itself can fail: an import from core to voting is caught."""
    here, there = floor("webapp.core.db"), floor("webapp.voting.casting")
    assert here is not None
    assert there is not None
    assert there[1] > here[1]
    arrows = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(arrows) == [["a", "b", "c"]]
