"""The import graph of a package, read from the source (every import counts: module level,
inside functions, under TYPE_CHECKING), and its cycles.

Run as a script to print who imports whom and the cycles:
``python tests/import_graph.py server/binsight``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the package ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _targets(node: ast.AST, here: str, is_package: bool, known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = here.split(".") if is_package else here.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        for alias in node.names:
            candidate = f"{prefix}.{alias.name}"
            yield candidate if candidate in known else prefix


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    mods = modules(root)
    known = set(mods)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            for target in _targets(node, name, path.name == "__init__.py", known):
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted. A package
    importing its own submodules through ``__init__`` and back counts too."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def _is_package_edge(a: str, b: str) -> bool:
    """``binsight.x`` -> ``binsight.x.y`` (a package's face naming its own parts) is not a cycle
    risk by itself; only its way back is."""
    return b.startswith(a + ".")


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "server/binsight")
    g = graph(root)
    for module in sorted(g):
        print(f"{module} -> {', '.join(sorted(g[module])) or '-'}")
    found = cycles(g)
    print(f"\n{len(found)} cycle(s)")
    for component in found:
        print("  " + " <-> ".join(component))
