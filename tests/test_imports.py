"""The package's modules import each other without a circle, and import at the top.

An import circle is hidden by importing inside a function or under ``TYPE_CHECKING``; this test
reads every import of every module (at the top, in functions, under conditions), so a circle
cannot hide there."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnnbook"


def _imports(path: Path) -> set[str]:
    """The rnnbook modules ``path`` imports, wherever the import statement stands."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from . import x, from .x import y
                if node.module:
                    out.add(node.module.split(".")[0])
                else:
                    out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("rnnbook."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("rnnbook."))
    return {m for m in out if (PACKAGE / f"{m}.py").exists()}


def _graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p) - {p.stem} for p in PACKAGE.glob("*.py")
            if p.stem not in ("__init__", "__main__")}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (as a path that ends where it starts), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_walk_finds_a_circle_when_there_is_one():
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_circle_among_the_modules():
    graph = _graph()
    assert graph["experiments"] >= {"recipes", "runs"}  # the walk sees the real imports
    assert _circle(graph) is None, " -> ".join(_circle(graph))


def test_recipes_is_a_leaf_below_the_trainer():
    graph = _graph()
    assert not graph["recipes"] & {"experiments", "runs", "table", "yardstick", "learner"}
