"""The source layout the architecture promises: module size, no import cycles, the
layers, and no upper layer reaching into the kernel's private modules."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "livelong"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _runtime_imports(name: str, path: Path) -> set[str]:
    """Modules ``name`` imports when it is imported (not under TYPE_CHECKING, not
    inside functions)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    visit(node.orelse)
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = package.split(".")
                    pkg = pkg[: len(pkg) - node.level + 1]
                    base = ".".join(pkg + ([base] if base else []))
                found.add(base)
                for a in node.names:
                    found.add(f"{base}.{a.name}")
            elif isinstance(node, (ast.Try, ast.With)):
                visit(node.body)

    visit(tree.body)
    return found


def test_no_module_is_over_900_lines():
    for name, path in _modules().items():
        lines = len(path.read_text().splitlines())
        assert lines <= 900, f"{name} has {lines} lines"


def test_no_import_cycles():
    mods = _modules()
    graph = {
        name: {m for m in _runtime_imports(name, path) if m in mods and m != name}
        for name, path in mods.items()
    }
    # a package's __init__ importing its own submodules is not a cycle through them
    for name in graph:
        graph[name] = {m for m in graph[name] if not (name + ".").startswith(m + ".")}
    state: dict[str, int] = {}

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt] if nxt in stack else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])


def test_upper_layers_use_the_kernel_api_not_its_private_modules():
    for name, path in _modules().items():
        if name.startswith("livelong._core") or name in ("livelong.lowlevel", "livelong.telemetry"):
            continue
        for imported in _runtime_imports(name, path):
            assert not imported.startswith("livelong._core._"), (
                f"{name} imports {imported}: use livelong._core or livelong.lowlevel"
            )


def test_the_kernel_knows_nothing_of_the_layers_above():
    for name, path in _modules().items():
        if not name.startswith("livelong._core"):
            continue
        for imported in _runtime_imports(name, path):
            if imported.startswith("livelong."):
                assert imported.startswith("livelong._core"), f"{name} imports {imported}"
