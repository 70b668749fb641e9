"""The layers of the package, as a contract on its imports (every import, a function's lazy ones too).

- the engine imports neither the CLI nor the console;
- the console does not import the CLI (both are subscribers to the engine's events);
- run records (engine/runs) do not import sweeps (engine/sweep): sweeps are built on runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rdfia_tui"

CONTRACTS = [
    ("rdfia_tui.engine", ("rdfia_tui.cli", "rdfia_tui.tui")),
    ("rdfia_tui.tui", ("rdfia_tui.cli",)),
    ("rdfia_tui.engine.runs", ("rdfia_tui.engine.sweep",)),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, package: str | None = None) -> set[str]:
    """Every module ``path`` imports, absolute or relative, at any depth of the file (``package``: the
    package its relative imports start from; by default the one it sits in)."""
    found: set[str] = set()
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules_under(prefix: str) -> list[Path]:
    folder = PACKAGE.parent.joinpath(*prefix.split("."))
    return sorted(folder.rglob("*.py"))


def inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("layer", "forbidden"), CONTRACTS, ids=[c[0] for c in CONTRACTS])
def test_a_layer_imports_nothing_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    files = modules_under(layer)
    assert files, f"no modules found under {layer}"
    broken = sorted(
        f"{module_name(path)} imports {name}"
        for path in files
        for name in imported(path)
        if any(inside(name, banned) for banned in forbidden)
    )
    assert broken == []


def test_the_contract_sees_a_lazy_import(tmp_path: Path) -> None:
    """The checker itself: an import inside a function counts as much as one at the top."""
    sample = PACKAGE / "engine" / "runs" / "listing.py"
    names = imported(sample)
    assert "rdfia_tui.engine.runs.summary" in names
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from rdfia_tui.cli import main\n    from ..tui import app\n", encoding="utf-8")
    names = imported(lazy, package="rdfia_tui.engine")
    assert {"rdfia_tui.cli", "rdfia_tui.cli.main", "rdfia_tui.tui.app"} <= names


def engine_graph() -> dict[str, set[str]]:
    """Each engine module and the engine modules it imports (a package counts as its __init__)."""
    files = {module_name(path): path for path in modules_under("rdfia_tui.engine")}
    return {name: {other for other in imported(path) if other in files and other != name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that returns to its start, or [] (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_engine_has_no_import_cycle() -> None:
    """No two engine modules need each other, not even through a lazy import inside a function."""
    graph = engine_graph()
    assert graph.get("rdfia_tui.engine.training")
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
