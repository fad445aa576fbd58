"""The shape of the code: no import cycles inside the server package, gRPC only in its service
layer, and every arrow pointing one way (SDK and panels never import the server)."""

from __future__ import annotations

import ast
from pathlib import Path

from import_graph import cycles, graph, modules

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server" / "binsight"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_import_cycle_inside_the_server() -> None:
    assert cycles(graph(SERVER)) == []


def test_the_graph_reader_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    assert cycles(graph(package)) == [["pkg.a", "pkg.b"]]


def test_only_the_service_layer_knows_grpc() -> None:
    offenders = [name for name, path in modules(SERVER).items()
                 if not name.startswith("binsight.service") and _imports(path) & {"grpc", "grpc_health",
                                                                                   "grpc_reflection", "binsight_api"}]
    assert offenders == []


def test_sdk_and_panels_never_import_the_server() -> None:
    for root in (ROOT / "client_sdk", ROOT / "nle_panels"):
        for path in root.rglob("*.py"):
            assert "binsight" not in _imports(path), path
